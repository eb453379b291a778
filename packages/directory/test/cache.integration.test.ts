import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
    const first = await a.directory.lookup(b.country, { signal: AbortSignal.timeout(10_000) })
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
})
