import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_RECORD_VALIDITY_MS, RecordNotFoundError } from '../src/index.ts'
import {
  connectMesh,
  contactDetails,
  type Member,
  makeFounders,
  startMember,
  stopAll,
} from './fixtures/network.ts'

describe('the verified-record cache', () => {
  let a: Member
  let b: Member
  let offsetMs = 0

  beforeAll(async () => {
    const founders = makeFounders(2, 2)
    a = await startMember({
      identity: founders.identities[0]!,
      country: founders.countries[0]!,
      chain: founders.chain,
      now: () => Date.now() + offsetMs,
      cacheFreshMs: Number.POSITIVE_INFINITY,
    })
    b = await startMember({
      identity: founders.identities[1]!,
      country: founders.countries[1]!,
      chain: founders.chain,
    })
    await connectMesh([a, b])
    await b.directory.publish(contactDetails(b.identity))
  })
  afterAll(async () => {
    await stopAll([a, b])
  })

  it('answers repeated lookups from the cache, and stops once the record has expired', async () => {
    const first = await a.directory.lookup(b.country, {
      sources: ['dht'],
      signal: AbortSignal.timeout(10_000),
    })
    expect(first.source).toBe('dht')
    for (let i = 0; i < 3; i++) {
      const again = await a.directory.lookup(b.country, { sources: [] })
      expect(again.source).toBe('cache')
      expect(again.bytes).toEqual(first.bytes)
    }
    // the signature was checked once; the clock is checked on every lookup
    offsetMs = DEFAULT_RECORD_VALIDITY_MS + 60_000
    await expect(a.directory.lookup(b.country, { sources: [] })).rejects.toBeInstanceOf(RecordNotFoundError)
    offsetMs = 0
    expect((await a.directory.lookup(b.country, { sources: [] })).source).toBe('cache')
  })

  it("asks the network again once the country's node reconnected, and finds the record it re-issued", async () => {
    const held = await a.directory.lookup(b.country, { sources: [] })
    expect(held.source).toBe('cache')
    // b goes away and comes back with a new record (a restart, a new address)
    await a.libp2p.hangUp(b.libp2p.peerId)
    // both sides have closed, so the next dial opens a new connection rather than reusing this one
    await vi.waitFor(
      () => {
        expect(a.libp2p.getConnections(b.libp2p.peerId)).toEqual([])
        expect(b.libp2p.getConnections(a.libp2p.peerId)).toEqual([])
      },
      { timeout: 10_000 },
    )
    const lastSeen = () => a.directory.list().find((c) => c.country === b.country)?.lastSeenAt ?? 0
    const seenBefore = lastSeen()
    // the publication may dial a itself (kad-dht's PUT): either way a sees b connect again
    const reissued = await b.directory.publish(contactDetails(b.identity, 'moved desk'))
    expect(reissued.record.seq).toBeGreaterThan(held.record.seq)
    await connectMesh([a, b])
    // a hears of the connection a moment after
    await vi.waitFor(() => expect(lastSeen()).toBeGreaterThan(seenBefore), { timeout: 10_000 })
    const found = await a.directory.lookup(b.country, { signal: AbortSignal.timeout(10_000) })
    expect(found.source).not.toBe('cache')
    expect(found.record.seq).toBe(reissued.record.seq)
    expect(found.record.unit).toBe('moved desk')
    // obtained since b connected: fresh again
    expect((await a.directory.lookup(b.country, { sources: [] })).source).toBe('cache')
  })
})
