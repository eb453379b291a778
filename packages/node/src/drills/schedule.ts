import { clockMinutes, type DrillHours } from './config.ts'

const MINUTE_MS = 60_000
const DAY_MINUTES = 24 * 60
/** The most a change of summer time moves local clocks. */
const SUMMER_TIME_MINUTES = 60

const formatters = new Map<string, Intl.DateTimeFormat>()

/** Minutes after local midnight of the instant `at` (ms since the epoch) in `timeZone`. */
export function localMinutes(at: number, timeZone: string): number {
  let format = formatters.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, format)
  }
  let hour = 0
  let minute = 0
  for (const part of format.formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value)
    else if (part.type === 'minute') minute = Number(part.value)
  }
  return hour * 60 + minute
}

/** Whether `at` falls in the local window `hours` (from included, to excluded; it may pass midnight). */
export function inDrillHours(hours: DrillHours, at: number): boolean {
  const from = clockMinutes(hours.from)!
  const to = clockMinutes(hours.to)!
  const m = localMinutes(at, hours.timeZone)
  return from < to ? m >= from && m < to : m >= from || m < to
}

export interface RoundSchedule {
  intervalMs: number
  hours?: DrillHours
}

/**
 * When the next scheduled round is due: an interval after the last one (now when there was none,
 * or it is overdue), moved forward to the start of the local window when it falls outside it.
 */
export function nextRoundAt(schedule: RoundSchedule, lastRoundAt: number | undefined, now: number): number {
  const at = lastRoundAt === undefined ? now : Math.max(now, lastRoundAt + schedule.intervalMs)
  const { hours } = schedule
  if (hours === undefined || inDrillHours(hours, at)) return at
  const wait = (clockMinutes(hours.from)! - localMinutes(at, hours.timeZone) + DAY_MINUTES) % DAY_MINUTES
  // a change of summer time before the window moves its start by up to an hour either way: start
  // an hour early and walk to it a minute at a time
  let probe = at - (at % MINUTE_MS) + Math.max(0, wait - SUMMER_TIME_MINUTES) * MINUTE_MS
  for (let step = 0; step <= 2 * SUMMER_TIME_MINUTES && !inDrillHours(hours, probe); step++)
    probe += MINUTE_MS
  return probe
}
