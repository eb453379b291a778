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
import { entryFacts, scanEntry } from '../src/entry-scan.ts'
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

/** Entries of every shape the in-place check accepts (actors, 1 and 30 blobs, big numbers, long ids). */
const scannedShapes: LedgerEntry[] = [
  { ...base, actor: 'country:DE', blobs: Array.from({ length: 30 }, (_, i) => new Uint8Array(32).fill(i)) },
  { ...base, actor: 'node', seq: 2 ** 40, time: 2 ** 53 - 1, detail: { n: [1, -2, { deep: null }] } },
  { ...base, actor: `user:${'b'.repeat(32)}`, caseId: 'x'.repeat(128), messageId: 'm 1 ~' },
  { seq: 300, time: 70_000, kind: 'auditor-access', actor: 'user:audit.or', blobs: [] },
  { ...base, detail: { a: 1, bb: 'x y', state: 'received', bytes: 2 ** 33, z: '' } },
  { ...base, detail: {} },
]

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
              fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/).map((s) => `user:${s}`),
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

  function factsOutcome(bytes: Uint8Array): unknown {
    try {
      return { entry: entryFacts(bytes) }
    } catch (err) {
      return { error: (err as Error).constructor.name, message: (err as Error).message }
    }
  }

  /** The verifier's facts of a reference outcome: the same error, or seq, time and blobs. */
  function factsOf(reference: unknown): unknown {
    const r = reference as { entry?: LedgerEntry }
    if (r.entry === undefined) return reference
    return { entry: { seq: r.entry.seq, time: r.entry.time, blobs: r.entry.blobs } }
  }

  it('decodes exactly as the reference decoder on any bytes near a valid entry (property)', () => {
    const variants = [
      base,
      { ...base, blobs: [], detail: { state: 'x', n: [1, { deep: true }] } },
      { seq: 0, time: 0, kind: 'receipt' as const, actor: 'node', blobs: [] },
      ...scannedShapes,
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
          const reference = outcome(decodeEntryChecked, bytes)
          expect(outcome(decodeEntry, bytes)).toEqual(reference)
          expect(factsOutcome(bytes)).toEqual(factsOf(reference))
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('checks every one-byte change of every common shape exactly as the reference decoder', () => {
    // the CBOR head boundaries (23/24, 0x5f/0x60, …), printable ASCII's edges and the neighbours
    const values = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1b, 0x1f, 0x20, 0x21, 0x41, 0x5a, 0x5b, 0x58, 0x60, 0x78]
    values.push(0x7e, 0x7f, 0x80, 0x98, 0x9f, 0xa0, 0xc2, 0xf6, 0xff)
    const brief = (fn: () => { seq: number; time: number; blobs: Uint8Array[] }): string => {
      try {
        const { seq, time, blobs } = fn()
        return `${seq} ${time} ${blobs.map((h) => Buffer.from(h).toString('hex')).join(',')}`
      } catch (err) {
        return `${(err as Error).constructor.name}: ${(err as Error).message}`
      }
    }
    const mismatches: string[] = []
    let checked = 0
    for (const entry of [base, ...scannedShapes]) {
      const valid = encodeEntry(entry)
      for (let i = 0; i < valid.length; i++)
        for (const value of [...values, (valid[i]! + 1) & 0xff, (valid[i]! + 255) & 0xff]) {
          if (value === valid[i]) continue
          const bytes = valid.slice()
          bytes[i] = value
          const fast = brief(() => entryFacts(bytes))
          const reference = brief(() => decodeEntryChecked(bytes))
          if (fast !== reference)
            mismatches.push(`${Buffer.from(bytes).toString('hex')}: ${fast} ≠ ${reference}`)
          checked++
        }
    }
    expect(mismatches).toEqual([])
    expect(checked).toBeGreaterThan(10_000)
  })

  it('checks the common entry in place, and leaves anything else to the full decoder', () => {
    for (const entry of [base, ...scannedShapes]) {
      const bytes = encodeEntry(entry)
      expect(scanEntry(bytes)).toEqual({ seq: entry.seq, time: entry.time, blobs: entry.blobs })
    }
    // valid, but not ASCII: the full decoder checks it
    const accented = encodeEntry({ ...base, caseId: 'FR-2026-Ü' })
    expect(scanEntry(accented)).toBeUndefined()
    expect(entryFacts(accented)).toEqual({ seq: base.seq, time: base.time, blobs: base.blobs })
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
