import { join } from 'node:path'
import { combineSignatures, proposeAmendment, readRosterChainFile, signProposal } from '@pocnet/directory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PocnetDaemon } from '../src/index.ts'
import { startPublishedPair, type TestFederation, until } from './fixtures/federation.ts'

describe('a roster amendment offered to a running node', () => {
  let fed: TestFederation
  let a: PocnetDaemon
  let b: PocnetDaemon

  beforeAll(async () => {
    ;({ fed, a, b } = await startPublishedPair(['GR', 'CY']))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('is adopted, recorded, written to disk and passed on to the peers', async () => {
    const chain = await readRosterChainFile(join(fed.nodes[0]!.dataDir, 'roster.cbor'))
    const proposal = join(fed.base, 'threshold.json')
    await proposeAmendment(proposal, { chain, changes: [{ op: 'threshold', threshold: 1 }] })
    const signatures = []
    for (const n of fed.nodes) {
      const path = join(fed.base, `${n.country}.threshold.sig.json`)
      await signProposal(proposal, n.identity, path)
      signatures.push(path)
    }
    const combined = join(fed.base, 'amended.cbor')
    await combineSignatures({
      proposalPath: proposal,
      signaturePaths: signatures,
      chain,
      chainPath: combined,
    })

    expect(a.offerRoster(await readRosterChainFile(combined))).toBe('adopted')
    expect(a.roster.version).toBe(1)
    expect(a.roster.threshold).toBe(1)
    expect(a.offerRoster(await readRosterChainFile(combined))).toBe('current')
    await until(() => b.roster.version === 1, 'the peer to adopt the amendment from the node')
    for (const [node, daemon] of [
      [fed.nodes[0]!, a],
      [fed.nodes[1]!, b],
    ] as const) {
      await until(
        async () => (await readRosterChainFile(join(node.dataDir, 'roster.cbor'))).length === 2,
        'the adopted chain to be written',
      )
      await until(
        async () => (await daemon.ledger.query({ kind: 'roster-changed' })).length === 1,
        'the adoption to be recorded in the ledger',
      )
    }
  })

  it('refuses a chain that does not start from its genesis', async () => {
    const other = await startPublishedPair(['MT', 'LU'])
    try {
      const foreign = await readRosterChainFile(join(other.fed.nodes[0]!.dataDir, 'roster.cbor'))
      expect(() => a.offerRoster(foreign)).toThrow(/genesis/i)
    } finally {
      await other.fed.cleanup()
    }
  })
})
