import { access, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_CEREMONY_FILE_BYTES, MAX_ROSTER_CHAIN_BYTES } from '../src/constants.ts'
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

  // issue 21 item 7: a file larger than any valid one is refused by its size, before it is read
  it('refuses a ceremony file one byte over its cap, unread, with its size and the cap', async () => {
    const text = await readFile(file('genesis.proposal.json'), 'utf8')
    // trailing spaces keep it valid JSON: only its size is wrong
    await writeFile(file('full.proposal.json'), text.padEnd(MAX_CEREMONY_FILE_BYTES))
    expect((await readProposal(file('full.proposal.json'))).body.kind).toBe('genesis')
    await writeFile(file('padded.proposal.json'), text.padEnd(MAX_CEREMONY_FILE_BYTES + 1))
    const refused = await readProposal(file('padded.proposal.json')).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RosterFormatError)
    expect((refused as Error).message).toBe(
      `${file('padded.proposal.json')}: this roster proposal is 516.0 KiB (528385 bytes), and no roster proposal is larger than 516 KiB (528384 bytes): a ceremony file holds at most one roster body of 256 KiB, in hex, and a few short fields`,
    )
  })

  it('refuses a huge signature file at once, and writes no chain', async () => {
    const huge = file('huge.sig.json')
    const handle = await open(huge, 'w')
    await handle.truncate(2 ** 32) // a hole: more than a Buffer may hold, were it read
    await handle.close()
    await expect(
      combineSignatures({
        proposalPath: file('genesis.proposal.json'),
        signaturePaths: [huge],
        chainPath: file('never.roster'),
      }),
    ).rejects.toThrow(`${huge}: this roster signature is 4096 MiB (4294967296 bytes)`)
    await expect(access(file('never.roster'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses a roster chain file over its cap, unread', async () => {
    const big = file('big.roster')
    const handle = await open(big, 'w')
    await handle.truncate(MAX_ROSTER_CHAIN_BYTES + 1)
    await handle.close()
    await expect(readRosterChainFile(big)).rejects.toThrow(
      `${big}: this roster chain is 4.0 MiB (4194305 bytes), and no roster chain is larger than 4 MiB (4194304 bytes)`,
    )
  })
})
