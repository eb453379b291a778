import { describe, expect, it } from 'vitest'
import { RecordRejectedError, signRecord, VerifiedRecords, verifyRosterChain } from '../src/index.ts'
import { makeFounders, NETWORK, recordAt, signedDocument } from './fixtures/network.ts'

describe('VerifiedRecords', () => {
  const f = makeFounders(2, 1)
  const v0 = verifyRosterChain(f.chain).state
  const amendment = signedDocument(
    {
      kind: 'amendment',
      network: NETWORK,
      version: 1,
      prev: v0.hash,
      createdAt: Date.now(),
      changes: [{ op: 'threshold', threshold: 2 }],
    },
    [f.identities[0]!],
  )
  const v1 = verifyRosterChain([...f.chain, amendment]).state
  const now = Date.now()
  const bytes = signRecord(f.identities[1]!, recordAt(now, f.identities[1]!, f.countries[1]!))

  it('checks a signature once per roster version, for the same bytes or an equal copy', () => {
    const verified = new VerifiedRecords()
    verified.verify(bytes, f.countries[1]!, v0, now)
    verified.verify(bytes, f.countries[1]!, v0, now)
    verified.verify(Uint8Array.from(bytes), f.countries[1]!, v0, now)
    expect({ hits: verified.hits, misses: verified.misses }).toEqual({ hits: 2, misses: 1 })
    verified.verify(bytes, f.countries[1]!, v1, now)
    expect({ hits: verified.hits, misses: verified.misses }).toEqual({ hits: 2, misses: 2 })
  })

  it('checks the clock on every use, and the country the bytes are filed under', () => {
    const verified = new VerifiedRecords()
    verified.verify(bytes, f.countries[1]!, v0, now)
    expect(() => verified.verify(bytes, f.countries[1]!, v0, now + 2 * 86_400_000)).toThrow(
      RecordRejectedError,
    )
    expect(() => verified.verify(bytes, f.countries[0]!, v0, now)).toThrow(/not signed by/)
  })

  it('remembers no failure', () => {
    const verified = new VerifiedRecords()
    const forged = signRecord(f.identities[0]!, recordAt(now, f.identities[0]!, f.countries[1]!))
    for (let i = 0; i < 2; i++)
      expect(() => verified.verify(forged, f.countries[1]!, v0, now)).toThrow(/signed/)
    expect(verified.misses).toBe(2)
  })
})
