import { type Cover, type DutyRoster, minutesOf, type Shift, WEEKDAYS } from './roster.ts'
import { addDays, instantOf, wallClock } from './zone.ts'

/** One occurrence of a shift: when it runs, and who holds each place then (covers applied). */
export interface Watch {
  shift: string
  /** ms since the epoch. */
  from: number
  until: number
  officer: string
  backup: string | null
  supervisor: string | null
  timeZone: string
}

/** The occurrence of `shift` starting on the local date `daysAhead` days from the local date of `ms`. */
function occurrence(
  shift: Shift,
  ms: number,
  daysAhead: number,
): { from: number; until: number } | undefined {
  const today = wallClock(ms, shift.timeZone)
  const weekday = WEEKDAYS[(((today.weekday + daysAhead) % 7) + 7) % 7]!
  if (!shift.days.includes(weekday)) return undefined
  const [y, m, d] = addDays(today.year, today.month, today.day, daysAhead)
  const start = minutesOf(shift.start)
  const end = minutesOf(shift.end)
  const from = instantOf(y, m, d, start, shift.timeZone)
  const [ey, em, ed] = end <= start ? addDays(y, m, d, 1) : [y, m, d]
  return { from, until: instantOf(ey, em, ed, end, shift.timeZone) }
}

/** Who stands in for `name` at `ms`: the latest cover in force, else `name` itself. */
function holder(name: string, covers: readonly Cover[], ms: number): string {
  let found: Cover | undefined
  for (const c of covers) {
    if (c.absent === name && Date.parse(c.from) <= ms && ms < Date.parse(c.until)) found = c
  }
  return found?.person ?? name
}

function watchOf(
  shift: Shift,
  span: { from: number; until: number },
  covers: readonly Cover[],
  at: number,
): Watch {
  return {
    shift: shift.id,
    from: span.from,
    until: span.until,
    officer: holder(shift.officer, covers, at),
    backup: shift.backup === undefined ? null : holder(shift.backup, covers, at),
    supervisor: shift.supervisor === undefined ? null : holder(shift.supervisor, covers, at),
    timeZone: shift.timeZone,
  }
}

/**
 * The watch at `ms`: of the shifts running then, the one that began last (a handover has
 * happened), the first listed on a tie. Undefined when no shift runs.
 */
export function watchAt(roster: DutyRoster, ms: number): Watch | undefined {
  let best: { shift: Shift; span: { from: number; until: number } } | undefined
  for (const shift of roster.shifts) {
    for (const daysAhead of [-1, 0]) {
      const span = occurrence(shift, ms, daysAhead)
      if (span === undefined || !(span.from <= ms && ms < span.until)) continue
      if (best === undefined || span.from > best.span.from) best = { shift, span }
    }
  }
  return best === undefined ? undefined : watchOf(best.shift, best.span, roster.covers, ms)
}

/** The next watch to begin after `ms` (within eight days), with who holds it at its start. */
export function nextWatch(roster: DutyRoster, ms: number): Watch | undefined {
  let best: { shift: Shift; span: { from: number; until: number } } | undefined
  for (const shift of roster.shifts) {
    for (let daysAhead = 0; daysAhead <= 8; daysAhead++) {
      const span = occurrence(shift, ms, daysAhead)
      if (span === undefined || span.from <= ms) continue
      if (best === undefined || span.from < best.span.from) best = { shift, span }
      break
    }
  }
  return best === undefined ? undefined : watchOf(best.shift, best.span, roster.covers, best.span.from)
}
