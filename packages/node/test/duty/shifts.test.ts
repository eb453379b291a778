import { timeZoneProblem } from '@pocnet/protocol/formats'
import { describe, expect, it } from 'vitest'
import type { DutyRoster, Shift } from '../../src/duty/roster.ts'
import { nextWatch, watchAt } from '../../src/duty/shifts.ts'
import { instantOf } from '../../src/duty/zone.ts'

const EVERY_DAY: Shift['days'] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

function roster(shifts: Shift[], covers: DutyRoster['covers'] = []): DutyRoster {
  return { people: [], shifts, covers }
}

const day: Shift = {
  id: 'day',
  officer: 'alice',
  backup: 'bob',
  supervisor: 'sue',
  timeZone: 'Europe/Paris',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '20:00',
}
const night: Shift = { ...day, id: 'night', officer: 'carol', backup: 'dan', start: '20:00', end: '08:00' }

describe('time zones', () => {
  it('accepts IANA names and refuses Etc/GMT±N, offsets and unknown names with the rule', () => {
    expect(timeZoneProblem('Europe/Paris')).toBeUndefined()
    expect(timeZoneProblem('UTC')).toBeUndefined()
    expect(timeZoneProblem('Etc/GMT-2')).toMatch(/reverse sign.*Europe\/Paris/)
    expect(timeZoneProblem('+02:00')).toMatch(/offset, not a zone/)
    expect(timeZoneProblem('Mars/Olympus')).toMatch(/not a known time zone/)
    expect(timeZoneProblem(7)).toMatch(/IANA time zone/)
  })

  it('finds the instant of a local time across summer time', () => {
    // Paris: UTC+1 in winter, UTC+2 in summer
    expect(new Date(instantOf(2026, 1, 15, 8 * 60, 'Europe/Paris')).toISOString()).toBe(
      '2026-01-15T07:00:00.000Z',
    )
    expect(new Date(instantOf(2026, 7, 15, 8 * 60, 'Europe/Paris')).toISOString()).toBe(
      '2026-07-15T06:00:00.000Z',
    )
    // 02:30 does not exist on 29 March 2026: moved forward by the gap
    expect(new Date(instantOf(2026, 3, 29, 150, 'Europe/Paris')).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    )
    // 02:30 happens twice on 25 October 2026: the first
    expect(new Date(instantOf(2026, 10, 25, 150, 'Europe/Paris')).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    )
  })
})

describe('who is on duty', () => {
  it('finds the day shift in its own zone, summer and winter', () => {
    // Monday 2026-07-13 07:30Z is 09:30 in Paris
    expect(watchAt(roster([day, night]), Date.parse('2026-07-13T07:30:00Z'))).toMatchObject({
      shift: 'day',
      officer: 'alice',
      backup: 'bob',
      supervisor: 'sue',
      from: Date.parse('2026-07-13T06:00:00Z'),
      until: Date.parse('2026-07-13T18:00:00Z'),
    })
    // Monday 2026-01-12 06:30Z is 07:30 in Paris: no shift (no Sunday night shift), until 08:00
    expect(watchAt(roster([day, night]), Date.parse('2026-01-12T06:30:00Z'))).toBeUndefined()
    expect(watchAt(roster([day, night]), Date.parse('2026-01-12T07:00:00Z'))?.shift).toBe('day')
  })

  it('runs an overnight shift into the next day, even past the last weekday listed', () => {
    // Friday 2026-07-17 22:00 Paris, and Saturday 05:00 Paris (the Friday night shift)
    expect(watchAt(roster([day, night]), Date.parse('2026-07-17T20:00:00Z'))?.officer).toBe('carol')
    expect(watchAt(roster([day, night]), Date.parse('2026-07-18T03:00:00Z'))).toMatchObject({
      shift: 'night',
      until: Date.parse('2026-07-18T06:00:00Z'),
    })
    // Saturday 22:00: no Saturday night shift
    expect(watchAt(roster([day, night]), Date.parse('2026-07-18T20:00:00Z'))).toBeUndefined()
  })

  it('lengthens the night the clocks go back and shortens the one they go forward', () => {
    const nightly = { ...night, days: EVERY_DAY }
    const fallBack = watchAt(roster([nightly]), Date.parse('2026-10-25T03:00:00Z'))!
    expect((fallBack.until - fallBack.from) / 3600_000).toBe(13)
    const springForward = watchAt(roster([nightly]), Date.parse('2026-03-29T03:00:00Z'))!
    expect((springForward.until - springForward.from) / 3600_000).toBe(11)
  })

  it('applies a cover for its time only, in every place the absent person holds', () => {
    const covers = [
      {
        id: 'c1',
        person: 'erin',
        absent: 'alice',
        from: '2026-07-13T06:00:00Z',
        until: '2026-07-13T12:00:00Z',
      },
    ]
    expect(watchAt(roster([day], covers), Date.parse('2026-07-13T07:00:00Z'))?.officer).toBe('erin')
    expect(watchAt(roster([day], covers), Date.parse('2026-07-13T12:00:00Z'))?.officer).toBe('alice')
    const asBackup = roster([{ ...day, officer: 'bob', backup: 'alice' }], covers)
    expect(watchAt(asBackup, Date.parse('2026-07-13T07:00:00Z'))?.backup).toBe('erin')
  })

  it('takes the shift that began last when two overlap', () => {
    const late = { ...day, id: 'late', officer: 'zoe', start: '12:00', end: '22:00' }
    expect(watchAt(roster([day, late]), Date.parse('2026-07-13T11:00:00Z'))?.shift).toBe('late')
    expect(watchAt(roster([day, late]), Date.parse('2026-07-13T09:00:00Z'))?.shift).toBe('day')
  })

  it('names the next watch, over a weekend and in another zone', () => {
    // Friday 2026-07-17 19:00 Paris: the night shift at 20:00
    expect(nextWatch(roster([day, night]), Date.parse('2026-07-17T17:00:00Z'))).toMatchObject({
      shift: 'night',
      from: Date.parse('2026-07-17T18:00:00Z'),
    })
    // Saturday noon: Monday 08:00 Paris
    expect(nextWatch(roster([day, night]), Date.parse('2026-07-18T10:00:00Z'))?.from).toBe(
      Date.parse('2026-07-20T06:00:00Z'),
    )
    const ny = { ...day, id: 'ny', timeZone: 'America/New_York', days: EVERY_DAY }
    expect(nextWatch(roster([ny]), Date.parse('2026-07-18T10:00:00Z'))?.from).toBe(
      Date.parse('2026-07-18T12:00:00Z'),
    )
    expect(nextWatch(roster([]), 0)).toBeUndefined()
  })
})
