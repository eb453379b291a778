import { encode } from '@pocnet/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeEntry,
  decodeEntryChecked,
  ENTRY_KINDS,
  encodeEntry,
  type LedgerEntry,
  validateEvent,
} from '../src/entry.ts'
import { InvalidEntryError } from '../src/errors.ts'

const base: LedgerEntry = {
  seq: 7,
  time: Date.UTC(2026, 10, 28),
  kind: 'message-sent',
  actor: 'user:alice',
  caseId: 'FR-2026-0042',
  counterpart: 'DE',
  messageId: 'm-1',
  blobs: [new Uint8Array(32).fill(1)],
  detail: { state: 'sent' },
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof InvalidEntryError) return err.field
    throw err
  }
  return undefined
}

describe('entry encoding', () => {
  it('round-trips every field through deterministic CBOR', () => {
    const bytes = encodeEntry(base)
    expect(decodeEntry(bytes)).toEqual(base)
    expect(encodeEntry(decodeEntry(bytes))).toEqual(bytes)
  })

  it('round-trips any valid event (property)', () => {
    const id = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/\p{Cc}/u.test(s))
    fc.assert(
      fc.property(
        fc.record(
          {
            seq: fc.nat(),
            time: fc.nat(),
            kind: fc.constantFrom(...ENTRY_KINDS),
            actor: fc.oneof(
              fc.constant('node'),
              fc.constant('country:IT'),
              id.filter((s) => !/\s/u.test(s)).map((s) => `user:${s}`),
            ),
            caseId: id,
            counterpart: fc.constantFrom('FR', 'DE', 'JP'),
            messageId: id,
            blobs: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 }),
          },
          { requiredKeys: ['seq', 'time', 'kind', 'actor', 'blobs'] },
        ),
        (entry) => {
          expect(decodeEntry(encodeEntry(entry))).toEqual(entry)
        },
      ),
    )
  })

  it('rejects bad events naming the field', () => {
    expect(fieldOf(() => validateEvent({ ...base, kind: 'message-deleted' as 'receipt' }))).toBe('kind')
    expect(fieldOf(() => validateEvent({ ...base, actor: 'alice' }))).toBe('actor')
    expect(fieldOf(() => validateEvent({ ...base, actor: 'country:fr' }))).toBe('actor')
    expect(fieldOf(() => validateEvent({ ...base, actor: 'user:two words' }))).toBe('actor')
    expect(fieldOf(() => validateEvent({ ...base, actor: 'user:' }))).toBe('actor')
    expect(fieldOf(() => validateEvent({ ...base, caseId: 'a\u0085b' }))).toBe('caseId')
    expect(validateEvent({ ...base, caseId: 'Dossier n° 12/2026 é' }).caseId).toBe('Dossier n° 12/2026 é')
    expect(fieldOf(() => validateEvent({ ...base, caseId: '' }))).toBe('caseId')
    expect(fieldOf(() => validateEvent({ ...base, caseId: 'a\nb' }))).toBe('caseId')
    expect(fieldOf(() => validateEvent({ ...base, messageId: 'x'.repeat(129) }))).toBe('messageId')
    expect(fieldOf(() => validateEvent({ ...base, counterpart: 'FRA' }))).toBe('counterpart')
    expect(fieldOf(() => validateEvent({ ...base, blobs: [new Uint8Array(31)] }))).toBe('blobs')
    expect(fieldOf(() => encodeEntry({ ...base, detail: { text: 'x'.repeat(20_000) } }))).toBe('detail')
  })

  it('rejects stored bytes that are not a version 1 entry, naming the field', () => {
    const map = (extra: object) => encode({ v: 1, seq: 1, time: 2, kind: 'receipt', actor: 'node', ...extra })
    expect(decodeEntry(map({})).kind).toBe('receipt')
    expect(fieldOf(() => decodeEntry(map({ v: 2 })))).toBe('v')
    expect(fieldOf(() => decodeEntry(map({ seq: -1 })))).toBe('seq')
    expect(fieldOf(() => decodeEntry(map({ time: 'noon' })))).toBe('time')
    expect(fieldOf(() => decodeEntry(map({ extra: 1 })))).toBe('extra')
    expect(fieldOf(() => decodeEntry(map({ blobs: [] })))).toBe('blobs')
    expect(fieldOf(() => decodeEntry(encode([1, 2])))).toBe('entry')
    expect(() => decodeEntry(new Uint8Array([0xa1]))).toThrow()
  })

  /** What a decoder makes of some bytes: the entry, or the error's class and message. */
  function outcome(decoder: (b: Uint8Array) => LedgerEntry, bytes: Uint8Array): unknown {
    try {
      return { entry: decoder(bytes) }
    } catch (err) {
      return { error: (err as Error).constructor.name, message: (err as Error).message }
    }
  }

  it('decodes exactly as the reference decoder on any bytes near a valid entry (property)', () => {
    const variants = [
      base,
      { ...base, blobs: [], detail: { state: 'x', n: [1, { deep: true }] } },
      { seq: 0, time: 0, kind: 'receipt' as const, actor: 'node', blobs: [] },
    ].map(encodeEntry)
    const mutation = fc.oneof(
      fc.record({ flip: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ cut: fc.nat() }),
      fc.record({ insert: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    )
    fc.assert(
      fc.property(
        fc.constantFrom(...variants),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (valid, edits) => {
          let bytes = valid.slice()
          for (const edit of edits) {
            if ('flip' in edit) bytes[edit.flip % bytes.length]! ^= 1 << edit.bit
            else if ('cut' in edit) bytes = bytes.slice(0, edit.cut % (bytes.length + 1))
            else {
              const at = edit.insert % (bytes.length + 1)
              bytes = Uint8Array.from([...bytes.subarray(0, at), edit.byte, ...bytes.subarray(at)])
            }
          }
          expect(outcome(decodeEntry, bytes)).toEqual(outcome(decodeEntryChecked, bytes))
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('falls back to the reference decoder for keys out of order, twice, unknown or not in shortest form', () => {
    const head = (n: number) => new Uint8Array([0xa0 | n])
    const field = (key: string, value: number | string) => encode({ [key]: value }).subarray(1)
    const join = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
    const fields = [
      field('v', 1),
      field('seq', 1),
      field('kind', 'receipt'),
      field('time', 2),
      field('actor', 'node'),
    ]
    expect(decodeEntry(join(head(5), ...fields)).kind).toBe('receipt')
    const cases = [
      join(head(5), fields[1]!, fields[0]!, ...fields.slice(2)),
      join(head(6), ...fields, fields[4]!),
      join(head(6), ...fields, field('__proto__', 1)),
      // 'v' as a text string with a one-byte length argument: not the shortest form
      join(head(5), new Uint8Array([0x78, 0x01, 0x76, 0x01]), ...fields.slice(1)),
    ]
    for (const bytes of cases) {
      expect(() => decodeEntry(bytes)).toThrow()
      expect(outcome(decodeEntry, bytes)).toEqual(outcome(decodeEntryChecked, bytes))
    }
  })
})
