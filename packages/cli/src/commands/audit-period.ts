import { checkTimestamp } from '@pocnet/cases'
import { UsageError } from '../errors.ts'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** The offset of `zone` from UTC at instant `ms`, in ms (east positive). */
function zoneOffsetMs(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** Midnight starting `date` (YYYY-MM-DD) in `zone`, in ms; undefined for a day the calendar lacks. */
function startOfDay(date: string, zone: string): number | undefined {
  const m = DATE.exec(date)
  if (m === null) return undefined
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (new Date(utc).toISOString().slice(0, 10) !== date) return undefined
  // the offset at the guess, then again at the result: a change of offset that night moves it
  const first = utc - zoneOffsetMs(zone, utc)
  return utc - zoneOffsetMs(zone, first)
}

/**
 * One bound of `--from`/`--to`: a date (the midnight that starts it in the reader's zone) or a
 * timestamp with its offset; a UsageError naming the flag otherwise.
 */
export function periodBound(flag: string, value: string, zone: string): number {
  const day = startOfDay(value, zone)
  if (day !== undefined) return day
  const t = checkTimestamp(value)
  if (!DATE.test(value) && t.ok) return t.value.epochMs
  throw new UsageError(
    `${flag} ${value}: is not a date or a timestamp with an offset`,
    `write a date, like 2026-11-01 (midnight in ${zone}), or a timestamp with its offset, like 2026-11-01T00:00:00+01:00`,
  )
}

/**
 * `audit report --from/--to` as the route takes them (UTC timestamps): `from` inclusive, `to`
 * exclusive, so `--from 2026-11-01 --to 2026-12-01` is November.
 */
export function auditPeriod(
  flags: { from?: string; to?: string },
  zone: string,
): { from?: string; to?: string } {
  const from = flags.from === undefined ? undefined : periodBound('--from', flags.from, zone)
  const to = flags.to === undefined ? undefined : periodBound('--to', flags.to, zone)
  if (from !== undefined && to !== undefined && from > to)
    throw new UsageError(
      `--from ${flags.from} is after --to ${flags.to}`,
      '--from is the start (inclusive), --to the end (exclusive)',
    )
  return {
    ...(from === undefined ? {} : { from: new Date(from).toISOString() }),
    ...(to === undefined ? {} : { to: new Date(to).toISOString() }),
  }
}
