import { describe, expect, it } from 'vitest'
import { checkpointOrigin } from '../src/checkpoint.ts'
import { decodeEntry, encodeEntry, type LedgerEntry, validateEvent } from '../src/entry.ts'
import { entryFacts } from '../src/entry-scan.ts'
import { BundleFormatError, CheckpointFormatError, InvalidEntryError } from '../src/errors.ts'
import { ownerOfOrigin } from '../src/reconcile/traffic.ts'

// The format rules of @pocnet/protocol/formats as the ledger applies them (docs/ledger.md §2, §5).

const base: LedgerEntry = {
  seq: 3,
  time: Date.UTC(2026, 10, 28),
  kind: 'message-sent',
  actor: 'user:anna',
  blobs: [],
}

function refusal(fn: () => unknown): InvalidEntryError | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof InvalidEntryError) return err
    throw err
  }
  return undefined
}

describe("a ledger's origin", () => {
  it('is pocnet.invalid/<network id>/<CC>, the network id as rosters and configs take it', () => {
    expect(checkpointOrigin('g8-24-7', 'FR')).toBe('pocnet.invalid/g8-24-7/FR')
    for (const network of ['Net', 'réseau', 'n'.repeat(64), 'a/b', ''])
      expect(() => checkpointOrigin(network, 'FR'), network).toThrow(CheckpointFormatError)
    expect(() => checkpointOrigin('Net', 'FR')).toThrow(
      /must be pocnet\.invalid\/<network id>\/<country code>/,
    )
  })

  it('is read back into its network and country, or refused naming the rule', () => {
    expect(ownerOfOrigin('pocnet.invalid/g8-24-7/FR')).toEqual({ network: 'g8-24-7', country: 'FR' })
    for (const origin of ['pocnet.invalid/Net/FR', 'pocnet.invalid/a/b/FR', 'example.com/log'])
      expect(() => ownerOfOrigin(origin), origin).toThrow(BundleFormatError)
  })
})

describe("an entry's actor user:<name>", () => {
  it('names a user as `pocnet user add` takes the name', () => {
    for (const name of ['anna', 'audit.or', 'duty_officer-2', 'x'.repeat(32)]) {
      const entry = { ...base, actor: `user:${name}` }
      expect(validateEvent(entry).actor).toBe(`user:${name}`)
      expect(decodeEntry(encodeEntry(entry)).actor).toBe(`user:${name}`)
      expect(entryFacts(encodeEntry(entry)).seq).toBe(3)
    }
  })

  it('refuses any other name, in the reference decoder and in the in-place scan alike', () => {
    for (const name of ['Anna', 'x'.repeat(33), '-anna', 'anna@fr', 'jürgen', 'two words', '']) {
      const entry = { ...base, actor: `user:${name}` }
      expect(refusal(() => validateEvent(entry))?.field, name).toBe('actor')
      // bytes another writer could have stored: encodeEntry does not check, the readers do
      const bytes = encodeEntry(entry)
      expect(refusal(() => decodeEntry(bytes))?.field, name).toBe('actor')
      expect(refusal(() => entryFacts(bytes))?.field, name).toBe('actor')
    }
    expect(refusal(() => validateEvent({ ...base, actor: 'user:Anna' }))?.message).toContain(
      '1-32 characters of a-z, 0-9',
    )
  })
})

describe("an entry's caseId and messageId", () => {
  it('count Unicode code points: 100 emoji are 100 characters, and 128 the most', () => {
    const emoji = '🔒'.repeat(100)
    const entry = { ...base, caseId: emoji, messageId: '📨'.repeat(128) }
    expect(validateEvent(entry).caseId).toBe(emoji)
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry)
    expect(entryFacts(encodeEntry(entry)).seq).toBe(3)
    expect(refusal(() => validateEvent({ ...base, caseId: '🔒'.repeat(129) }))?.field).toBe('caseId')
    expect(refusal(() => validateEvent({ ...base, messageId: 'x'.repeat(129) }))?.message).toContain(
      '1-128 characters (Unicode code points)',
    )
  })
})
