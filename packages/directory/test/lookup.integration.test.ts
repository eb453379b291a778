import { bytesEqual } from '@pocnet/crypto'
import { waitFor } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signRecord } from '../src/index.ts'
import {
  contactDetails,
  type Founders,
  type Member,
  makeFounders,
  NETWORK,
  signedDocument,
  startNetwork,
  stopAll,
} from './fixtures/network.ts'

describe('lookups: own node first, the DHT after, one search per country', () => {
  let founders: Founders
  let nodes: Member[] = []
  let a: Member
  let b: Member
  let c: Member

  beforeAll(async () => {
    founders = makeFounders(3, 1)
    nodes = await startNetwork(founders)
    ;[a, b, c] = nodes as [Member, Member, Member]
    for (const n of [b, c]) expect((await n.directory.publish(contactDetails(n.identity))).storedBy).toBe(2)
  })
  afterAll(async () => {
    await stopAll(nodes)
  })

  it("answers from the country's own node, its record checked like any other", async () => {
    const found = await a.directory.lookup(b.country, { signal: AbortSignal.timeout(10_000) })
    expect(found.source).toBe('peer')
    expect(bytesEqual(found.bytes, b.directory.ownRecord!.bytes)).toBe(true)
    // accepted through the DHT rules: the seq is remembered as seen
    expect(a.memory.highestSeq(b.country)).toBe(found.record.seq)
  })

  it('concurrent lookups of one country with a cold cache make one search', async () => {
    const before = a.directory.networkLookups
    const found = await Promise.all(
      Array.from({ length: 200 }, () =>
        a.directory.lookup(c.country, { signal: AbortSignal.timeout(10_000) }),
      ),
    )
    expect(a.directory.networkLookups - before).toBe(1)
    expect(new Set(found.map((f) => f.record.seq)).size).toBe(1)
    expect(found.every((f) => f.source === 'peer')).toBe(true)
  })

  it('verifies the same record bytes once per roster version', async () => {
    // b's record is cached since the first lookup; the cache is never fresh here (cacheFreshMs 0)
    const start = a.directory.verifications
    for (let i = 0; i < 3; i++)
      expect((await a.directory.lookup(b.country, { sources: [] })).source).toBe('stale-cache')
    expect(a.directory.verifications).toEqual({ hits: start.hits + 3, misses: start.misses })

    const state = a.keeper.state
    const amendment = signedDocument(
      {
        kind: 'amendment',
        network: NETWORK,
        version: state.version + 1,
        prev: state.hash,
        createdAt: Date.now(),
        changes: [{ op: 'threshold', threshold: 2 }],
      },
      [a.identity],
    )
    expect(a.keeper.offer([...a.keeper.documents, amendment])).toBe('adopted')
    // a new roster version: the signature is checked again, once
    for (let i = 0; i < 3; i++)
      expect((await a.directory.lookup(b.country, { sources: [] })).source).toBe('stale-cache')
    expect(a.directory.verifications).toEqual({ hits: start.hits + 5, misses: start.misses + 1 })
  })

  it('never returns a copy with a lower seq than one already seen', async () => {
    const old = c.directory.ownRecord!
    // a has seen a newer record of c's (signed by c, never published): every copy out there is older
    const newer = { ...old.record, seq: old.record.seq + 1, unit: 'newer desk' }
    const newerBytes = signRecord(c.identity, newer)
    a.memory.cache(c.country, newer.seq, { bytes: newerBytes, fetchedAt: Date.now() })
    for (const sources of [['dht'], ['dht', 'peer']] as const) {
      const found = await a.directory.lookup(c.country, {
        sources: [...sources],
        signal: AbortSignal.timeout(10_000),
      })
      expect(found.source).toBe('stale-cache')
      expect(found.record.seq).toBe(newer.seq)
      expect(found.record.unit).toBe('newer desk')
    }
  })

  it("falls back to the DHT when the country's node is offline", async () => {
    const rejectedBefore = a.directory.rejected
    await stopAll([b])
    await waitFor(() => a.libp2p.getConnections(b.libp2p.peerId).length === 0, 'the connection to b to close')
    const found = await a.directory.lookup(b.country, { signal: AbortSignal.timeout(10_000) })
    expect(found.source).toBe('dht')
    expect(bytesEqual(found.bytes, b.directory.ownRecord!.bytes)).toBe(true)
    // an unreachable node this node held no connection to is not a refusal
    expect(a.directory.rejected).toBe(rejectedBefore)
  })
})
