import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  combineSignatures,
  exportMemberDescriptor,
  proposeAmendment,
  proposeGenesis,
  RosterFormatError,
  RosterThresholdError,
  readMemberDescriptor,
  readProposal,
  readRosterChainFile,
  signProposal,
} from '../src/index.ts'

describe('file ceremony', () => {
  let dir: string
  const founders = [NodeIdentity.generate(), NodeIdentity.generate(), NodeIdentity.generate()]
  const countries = ['FR', 'DE', 'JP']
  const file = (name: string) => join(dir, name)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-ceremony-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('genesis: descriptors, proposal, one signature each, combined chain file', async () => {
    for (const [i, identity] of founders.entries())
      await exportMemberDescriptor(file(`${countries[i]}.member.json`), {
        identity,
        country: countries[i]!,
        name: `Desk ${countries[i]}`,
      })
    const members = await Promise.all(countries.map((cc) => readMemberDescriptor(file(`${cc}.member.json`))))
    await proposeGenesis(file('genesis.proposal.json'), { network: 'pocnet-test', threshold: 2, members })
    expect((await readProposal(file('genesis.proposal.json'))).body.kind).toBe('genesis')
    for (const [i, identity] of founders.entries())
      await signProposal(file('genesis.proposal.json'), identity, file(`genesis.${countries[i]}.sig.json`))

    await expect(
      combineSignatures({
        proposalPath: file('genesis.proposal.json'),
        signaturePaths: [file('genesis.FR.sig.json'), file('genesis.DE.sig.json')],
        chainPath: file('partial.roster'),
      }),
    ).rejects.toThrow(RosterThresholdError)

    const { state } = await combineSignatures({
      proposalPath: file('genesis.proposal.json'),
      signaturePaths: countries.map((cc) => file(`genesis.${cc}.sig.json`)),
      chainPath: file('roster.cbor'),
    })
    expect([...state.members.keys()]).toEqual(countries)
    expect(await readRosterChainFile(file('roster.cbor'))).toHaveLength(1)
  })

  it('amendment: propose on the chain, t signatures, combined into the longer chain', async () => {
    const candidate = NodeIdentity.generate()
    const member = await exportMemberDescriptor(file('BR.member.json'), {
      identity: candidate,
      country: 'BR',
      name: 'Brazil',
    })
    const chain = await readRosterChainFile(file('roster.cbor'))
    await proposeAmendment(file('admit-br.proposal.json'), { chain, changes: [{ op: 'admit', member }] })
    await signProposal(file('admit-br.proposal.json'), founders[0]!, file('admit-br.FR.sig.json'))
    await signProposal(file('admit-br.proposal.json'), founders[2]!, file('admit-br.JP.sig.json'))
    const { state } = await combineSignatures({
      proposalPath: file('admit-br.proposal.json'),
      signaturePaths: [file('admit-br.FR.sig.json'), file('admit-br.JP.sig.json')],
      chain,
      chainPath: file('roster.cbor'),
    })
    expect(state.version).toBe(1)
    expect(state.memberByPeerId(candidate.peerId)?.country).toBe('BR')
    expect(await readRosterChainFile(file('roster.cbor'))).toHaveLength(2)
  })

  it('refuses a signature file made for another proposal, and an edited proposal', async () => {
    await expect(
      combineSignatures({
        proposalPath: file('genesis.proposal.json'),
        signaturePaths: [file('admit-br.FR.sig.json')],
        chainPath: file('x.roster'),
      }),
    ).rejects.toThrow(/signs another proposal/)
    const proposal = JSON.parse(await readFile(file('genesis.proposal.json'), 'utf8'))
    proposal.body = proposal.body.replace(/02$/, '01')
    await writeFile(file('edited.proposal.json'), JSON.stringify({ ...proposal }))
    await expect(readProposal(file('edited.proposal.json'))).rejects.toThrow(RosterFormatError)
  })

  it('refuses a descriptor whose PeerId does not derive from its key', async () => {
    const descriptor = JSON.parse(await readFile(file('FR.member.json'), 'utf8'))
    descriptor.peerId = founders[1]!.peerId.toString()
    await writeFile(file('bad.member.json'), JSON.stringify(descriptor))
    await expect(readMemberDescriptor(file('bad.member.json'))).rejects.toThrow(/peerId does not derive/)
  })
})
