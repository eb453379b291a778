import { describe, expect, it } from 'vitest'
import { defaultConfig, validateConfig } from '../src/config.ts'
import { DrillBook } from '../src/drills/book.ts'
import { acceptsDrills, drillIntervalMs } from '../src/drills/config.ts'
import {
  DRILL_ACK_KIND,
  DRILL_KIND,
  DRILL_REFUSED_KIND,
  decodeDrillPayload,
  encodeAnswer,
  encodeDrill,
} from '../src/drills/payload.ts'
import { inDrillHours, nextRoundAt } from '../src/drills/schedule.ts'
import { summarizeDrills } from '../src/drills/summary.ts'

const base = defaultConfig('pocnet-test', 'FR')
const problemsOf = (drills: unknown) => {
  const result = validateConfig({ ...base, drills })
  return 'problems' in result ? result.problems : []
}
const ROME = { from: '09:00', to: '17:00', timeZone: 'Europe/Rome' }
const HOUR = 3_600_000
const at = (iso: string) => Date.parse(iso)

describe('drills config', () => {
  it('accepts a full section, and none: drills accepted, no scheduled rounds', () => {
    const drills = { accept: true, every: '12h', hours: ROME, countries: ['DE', 'IT'] }
    expect(validateConfig({ ...base, drills })).toEqual({ config: { ...base, drills } })
    expect(problemsOf({ intervalMs: 60_000 })).toEqual([])
    expect(acceptsDrills(undefined)).toBe(true)
    expect(acceptsDrills({ accept: false })).toBe(false)
    expect(drillIntervalMs(undefined)).toBeUndefined()
    expect(drillIntervalMs({ every: '30m' })).toBe(30 * 60_000)
    expect(drillIntervalMs({ every: '7d' })).toBe(7 * 24 * HOUR)
    expect(drillIntervalMs({ intervalMs: 90_000 })).toBe(90_000)
  })

  it('names the field and the rule of each problem', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      ['daily', 'drills', /must be an object with only/],
      [{ often: true }, 'drills', /"accept", "every"/],
      [{ accept: 'no' }, 'drills.accept', /true or false/],
      [{ every: '12 hours' }, 'drills.every', /unit m, h or d/],
      [{ every: '0h' }, 'drills.every', /unit m, h or d/],
      [{ every: '1h', intervalMs: 3_600_000 }, 'drills.every', /not be given together/],
      [{ intervalMs: 1000 }, 'drills.intervalMs', /at least 60000/],
      [{ intervalMs: 1.5e5 + 0.5 }, 'drills.intervalMs', /whole number/],
      [{ hours: { from: '9:00', to: '17:00', timeZone: 'UTC' } }, 'drills.hours.from', /"HH:MM"/],
      [{ hours: { from: '09:00', to: '24:00', timeZone: 'UTC' } }, 'drills.hours.to', /"HH:MM"/],
      [
        { hours: { from: '09:00', to: '09:00', timeZone: 'UTC' } },
        'drills.hours.to',
        /window would be empty/,
      ],
      [{ hours: { ...ROME, timeZone: '+01:00' } }, 'drills.hours.timeZone', /IANA time zone/],
      [{ hours: { ...ROME, timeZone: 'Etc/GMT-1' } }, 'drills.hours.timeZone', /reverse sign/],
      [{ hours: { ...ROME, days: 'weekdays' } }, 'drills.hours', /only "from", "to" and "timeZone"/],
      [{ countries: [] }, 'drills.countries', /non-empty list/],
      [{ countries: ['fr'] }, 'drills.countries[0]', /e\.g\. "FR"/],
      [{ countries: ['DE', 'DE'] }, 'drills.countries', /each country once/],
      [{ countries: ['DE', 'FR'] }, 'drills.countries', /not name this node's own country \(FR\)/],
    ]
    for (const [drills, path, message] of cases) {
      const problems = problemsOf(drills)
      expect(
        problems.map((p) => p.path),
        JSON.stringify(drills),
      ).toEqual([path])
      expect(problems[0]!.message).toMatch(message)
    }
  })
})

describe('drill schedule', () => {
  it('tells whether an instant falls in the local window, one passing midnight included', () => {
    // Rome is UTC+1 in January
    expect(inDrillHours(ROME, at('2026-01-15T07:59:00Z'))).toBe(false)
    expect(inDrillHours(ROME, at('2026-01-15T08:00:00Z'))).toBe(true)
    expect(inDrillHours(ROME, at('2026-01-15T15:59:00Z'))).toBe(true)
    expect(inDrillHours(ROME, at('2026-01-15T16:00:00Z'))).toBe(false)
    const night = { from: '22:00', to: '06:00', timeZone: 'Asia/Tokyo' }
    expect(inDrillHours(night, at('2026-01-15T14:30:00Z'))).toBe(true) // 23:30 in Tokyo
    expect(inDrillHours(night, at('2026-01-15T20:59:00Z'))).toBe(true) // 05:59
    expect(inDrillHours(night, at('2026-01-15T03:00:00Z'))).toBe(false) // 12:00
  })

  it('runs the first round now, then one an interval after the last', () => {
    const now = at('2026-01-15T10:00:00Z')
    expect(nextRoundAt({ intervalMs: 12 * HOUR }, undefined, now)).toBe(now)
    expect(nextRoundAt({ intervalMs: 12 * HOUR }, now - HOUR, now)).toBe(now + 11 * HOUR)
    // overdue (the node was down): now
    expect(nextRoundAt({ intervalMs: 12 * HOUR }, now - 30 * HOUR, now)).toBe(now)
  })

  it('moves a round due outside the hours to the start of the next window, in its zone', () => {
    const schedule = { intervalMs: 24 * HOUR, hours: ROME }
    // 08:30 in Rome: the window opens at 09:00 Rome, 08:00 UTC
    expect(nextRoundAt(schedule, undefined, at('2026-01-15T07:30:00Z'))).toBe(at('2026-01-15T08:00:00Z'))
    // 18:00 in Rome: tomorrow's window
    expect(nextRoundAt(schedule, undefined, at('2026-01-15T17:00:00Z'))).toBe(at('2026-01-16T08:00:00Z'))
    // inside the window: as due
    expect(nextRoundAt(schedule, undefined, at('2026-01-15T12:34:56Z'))).toBe(at('2026-01-15T12:34:56Z'))
  })

  it('finds the window across a change of summer time', () => {
    // Rome moves from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026: 09:00 is then 07:00 UTC
    const schedule = { intervalMs: 24 * HOUR, hours: { from: '09:00', to: '10:00', timeZone: 'Europe/Rome' } }
    expect(nextRoundAt(schedule, undefined, at('2026-03-28T20:00:00Z'))).toBe(at('2026-03-29T07:00:00Z'))
    // and back to UTC+1 at 01:00 UTC on 25 October 2026: 09:00 is then 08:00 UTC
    expect(nextRoundAt(schedule, undefined, at('2026-10-24T20:00:00Z'))).toBe(at('2026-10-25T08:00:00Z'))
  })
})

describe('drill payloads', () => {
  it('round-trips a drill and its answers, and refuses other shapes', () => {
    expect(decodeDrillPayload(DRILL_KIND, encodeDrill())).toEqual({ type: 'drill' })
    const answer = { drill: 'ab'.repeat(16), at: 1_767_225_600_000 }
    expect(decodeDrillPayload(DRILL_ACK_KIND, encodeAnswer({ type: 'ack', ...answer }))).toEqual({
      type: 'ack',
      ...answer,
    })
    expect(decodeDrillPayload(DRILL_REFUSED_KIND, encodeAnswer({ type: 'refused', ...answer }))).toEqual({
      type: 'refused',
      ...answer,
    })
    expect(decodeDrillPayload(DRILL_KIND, encodeAnswer({ type: 'ack', ...answer }))).toBeUndefined()
    expect(decodeDrillPayload(DRILL_ACK_KIND, encodeDrill())).toBeUndefined()
    expect(
      decodeDrillPayload(DRILL_ACK_KIND, encodeAnswer({ type: 'ack', ...answer, drill: 'xyz' })),
    ).toBeUndefined()
    expect(decodeDrillPayload(DRILL_ACK_KIND, new Uint8Array([0xff]))).toBeUndefined()
    expect(decodeDrillPayload('case-event', encodeDrill())).toBeUndefined()
  })
})

describe('drill book and summary', () => {
  it('takes an answer only from the country drilled, the first one standing', () => {
    const book = new DrillBook()
    book.addSent({ id: 'd1', to: 'DE', sentAt: 1000, by: 'node' })
    expect(book.answered('d1', 'IT', { type: 'ack', at: 5000 })).toBe(false)
    expect(book.answered('nope', 'DE', { type: 'ack', at: 5000 })).toBe(false)
    expect(book.answered('d1', 'DE', { type: 'ack', at: 5000 })).toBe(true)
    expect(book.answered('d1', 'DE', { type: 'refused', at: 6000 })).toBe(true)
    expect(book.sentDrill('d1')?.answer).toEqual({ type: 'ack', at: 5000 })
  })

  it('shows per country the latest drill and the medians of both times', () => {
    const summary = summarizeDrills([
      { id: 'a', to: 'DE', sentAt: 0, by: 'node', receiptAt: 400, answer: { type: 'ack', at: 60_000 } },
      {
        id: 'b',
        to: 'DE',
        sentAt: HOUR,
        by: 'node',
        receiptAt: HOUR + 200,
        answer: { type: 'ack', at: HOUR + 180_000 },
      },
      // the counterpart's clock runs behind: no negative time
      { id: 'c', to: 'DE', sentAt: 2 * HOUR, by: 'user:ops', receiptAt: 2 * HOUR - 50 },
      { id: 'd', to: 'IT', sentAt: 0, by: 'node', receiptAt: 100, answer: { type: 'refused', at: 150 } },
      { id: 'e', to: 'ES', sentAt: 0, by: 'node', failed: 'expired' },
    ])
    expect(summary.map((s) => s.country)).toEqual(['DE', 'ES', 'IT'])
    const [de, es, it] = summary
    expect(de).toMatchObject({ sent: 3, receipted: 3, acknowledged: 2, refused: 0, failed: 0 })
    expect(de!.latest).toMatchObject({ id: 'c', by: 'user:ops', receiptMs: 0, acknowledgedAt: null })
    expect(de!.receipt).toEqual({ count: 3, medianMs: 200, worstMs: 400 })
    expect(de!.acknowledgement).toEqual({ count: 2, medianMs: 120_000, worstMs: 180_000 })
    expect(es!.latest).toMatchObject({ failed: 'expired', receiptAt: null })
    expect(it).toMatchObject({ refused: 1, acknowledged: 0 })
    expect(it!.latest.refusedAt).toBe(new Date(150).toISOString())
  })
})
