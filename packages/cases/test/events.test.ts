import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EVENT_KINDS, validateEvent } from '../src/index.ts'
import { eventFor, hoursAfter } from './fixtures/events.ts'

describe('validateEvent', () => {
  it.each(EVENT_KINDS)('accepts a complete %s event', (kind) => {
    const event = eventFor(kind, 'requested', 1, hoursAfter(1))
    expect(validateEvent(event)).toEqual({ ok: true, value: event })
  })

  it.each(EVENT_KINDS)('accepts its own output for %s unchanged', (kind) => {
    const first = validateEvent({
      ...eventFor(kind, 'requested', 1, hoursAfter(1)),
      at: '2026-11-28T15:10:00+01:00',
    })
    if (!first.ok) throw new Error(`fixture ${kind} invalid`)
    expect(validateEvent(first.value)).toEqual(first)
  })

  it('normalises the event time to UTC', () => {
    const result = validateEvent({
      ...eventFor('delivered', 'requested', 1, hoursAfter(1)),
      at: '2026-11-28T15:10:00+01:00',
    })
    expect(result.ok && result.value.at).toBe('2026-11-28T14:10:00.000Z')
  })

  it('names the fields a kind does not carry', () => {
    const result = validateEvent({ ...eventFor('delivered', 'requested', 1, hoursAfter(1)), by: 'someone' })
    expect(result.ok ? [] : result.problems.map((p) => [p.path, p.rule])).toEqual([['by', 'unknown-field']])
  })

  it('never throws on arbitrary input, and a failure always names a problem', () => {
    const base = eventFor('preserved', 'requested', 1, hoursAfter(1)) as unknown as Record<string, unknown>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc
            .record({ key: fc.constantFrom(...Object.keys(base)), value: fc.jsonValue() })
            .map(({ key, value }) => ({ ...base, [key]: value })),
        ),
        (input) => {
          const result = validateEvent(input)
          return result.ok || result.problems.length > 0
        },
      ),
      { numRuns: 1000 },
    )
  })
})
