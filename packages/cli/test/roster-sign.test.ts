import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity, writeKeyFile } from '@pocnet/crypto'
import {
  proposeAmendment,
  proposeGenesis,
  type RosterMember,
  readRosterChainFile,
} from '@pocnet/directory/offline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliOffline, writeGenesisRoster } from './fixtures/offline.ts'

/*
 * Issue 21 item 9: `roster sign` by a node whose signature cannot count (not a founder of the
 * genesis, the candidate of its own admission, not a member of the version an amendment follows)
 * is refused before anything is written: `roster combine` would refuse the whole document for it.
 */
describe('roster sign checks that the signer may sign', () => {
  let dir: string
  const it_ = NodeIdentity.generate()
  const fr = NodeIdentity.generate()
  const de = NodeIdentity.generate()
  const us = NodeIdentity.generate()
  let genesis: string
  let admitDe: string

  const member = (country: string, identity: NodeIdentity): RosterMember => ({
    country,
    name: `${country} desk`,
    publicKey: identity.signingPublicKey,
  })

  /** A data directory holding `identity`'s key file (cheap scrypt: a test, not a secret). */
  async function node(name: string, identity: NodeIdentity): Promise<string> {
    const home = join(dir, name)
    await mkdir(home)
    await writeKeyFile(join(home, 'node.key'), identity, 'test passphrase', { log2N: 10, r: 1, p: 1 })
    return home
  }

  function sign(home: string, proposal: string, out: string, ...more: string[]) {
    return runCliOffline(dir, ['roster', 'sign', proposal, '--out', join(dir, out), ...more], home, {
      POCNET_PASSPHRASE_FILE: join(dir, 'pass'),
    })
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-roster-sign-'))
    await writeFile(join(dir, 'pass'), 'test passphrase\n', { mode: 0o600 })
    await node('it', it_)
    await node('de', de)
    await node('us', us)
    // IT's node holds the roster of version 0: IT and FR
    await writeGenesisRoster(join(dir, 'it', 'roster.cbor'), 'test-net', [
      { country: 'IT', name: 'IT desk', identity: it_ },
      { country: 'FR', name: 'FR desk', identity: fr },
    ])
    genesis = join(dir, 'genesis.json')
    await proposeGenesis(genesis, {
      network: 'test-net',
      threshold: 2,
      members: [member('IT', it_), member('FR', fr)],
    })
    admitDe = join(dir, 'admit-de.json')
    await proposeAmendment(admitDe, {
      chain: await readRosterChainFile(join(dir, 'it', 'roster.cbor')),
      changes: [{ op: 'admit', member: member('DE', de) }],
    })
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses the candidate signing its own admission, at once, writing nothing', () => {
    const r = sign(join(dir, 'de'), admitDe, 'de.sig')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(
      `error: this node (${de.peerId.toString()}) is DE, the candidate this amendment admits: a candidate does not sign its own admission, the current members do; nothing was signed`,
    )
    expect(r.stderr).toContain('hint: hand the proposal to the members of roster version 0')
    expect(existsSync(join(dir, 'de.sig'))).toBe(false)
  })

  it('refuses a node that is not a founder of a genesis', () => {
    const r = sign(join(dir, 'de'), genesis, 'de-genesis.sig')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /error: this node \(\S+\) is not one of the founders this genesis proposal lists/,
    )
    expect(existsSync(join(dir, 'de-genesis.sig'))).toBe(false)
  })

  it('refuses a node that is not a member of the version an amendment follows', () => {
    const r = sign(join(dir, 'us'), admitDe, 'us.sig', '--chain', join(dir, 'it', 'roster.cbor'))
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(
      `error: this node (${us.peerId.toString()}) is not a member of roster version 0, which this amendment follows: only its members sign it; nothing was signed`,
    )
    expect(existsSync(join(dir, 'us.sig'))).toBe(false)
  })

  it('signs for a member, with no warning; warns when no chain says who the members are', () => {
    const r = sign(join(dir, 'it'), admitDe, 'it.sig')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(existsSync(join(dir, 'it.sig'))).toBe(true)
    const unchecked = sign(join(dir, 'it'), admitDe, 'it2.sig', '--chain', join(dir, 'none.cbor'))
    expect(unchecked.status, unchecked.stderr).toBe(0)
    expect(unchecked.stderr).toContain('warning: cannot check that this node')
    expect(unchecked.stderr).toContain('is a member of roster version 0: no valid roster chain at')
    expect(existsSync(join(dir, 'it2.sig'))).toBe(true)
  })
})
