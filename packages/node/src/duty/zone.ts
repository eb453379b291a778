/**
 * Wall-clock time in IANA time zones, with nothing but Intl: what a shift's "22:00 Europe/Paris"
 * means at a given instant, and the instant a local date and time fall on. Which zones a shift may
 * use is the protocol's rule (`timeZoneProblem`).
 */

/** Local wall-clock fields of an instant in a zone. */
export interface WallClock {
  year: number
  month: number
  day: number
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number
  /** Minutes since local midnight. */
  minutes: number
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }
const formats = new Map<string, Intl.DateTimeFormat>()

function formatFor(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formats.set(zone, format)
  }
  return format
}

/** The local date, weekday and time of `ms` in `zone` (a zone `timeZoneProblem` of @pocnet/protocol/formats accepts). */
export function wallClock(ms: number, zone: string): WallClock {
  const parts: Record<string, string> = {}
  for (const p of formatFor(zone).formatToParts(new Date(ms))) parts[p.type] = p.value
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAY_INDEX[parts.weekday!]!,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  }
}

/** How far `zone`'s clock is ahead of UTC at `ms`, in ms. */
function offsetAt(ms: number, zone: string): number {
  const parts: Record<string, string> = {}
  for (const p of formatFor(zone).formatToParts(new Date(ms))) parts[p.type] = p.value
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  )
  return asUtc - Math.floor(ms / 1000) * 1000
}

/**
 * The instant at which `zone`'s clocks show `minutes` past midnight of the local date
 * year-month-day. A time the clocks skip (spring forward) falls on the instant just after the
 * gap; a time they show twice (fall back), on its first showing.
 */
export function instantOf(year: number, month: number, day: number, minutes: number, zone: string): number {
  const local = Date.UTC(year, month - 1, day, 0, minutes)
  const candidates = [local - offsetAt(local - 86_400_000, zone), local - offsetAt(local + 86_400_000, zone)]
  const exact = candidates.filter((t) => t + offsetAt(t, zone) === local).sort((a, b) => a - b)
  if (exact.length > 0) return exact[0]!
  // in a gap: the clocks jump from before it to after it; the later reading is the earliest that exists
  return Math.max(...candidates)
}

/** The local calendar date `days` after year-month-day. */
export function addDays(year: number, month: number, day: number, days: number): [number, number, number] {
  const d = new Date(Date.UTC(year, month - 1, day + days))
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]
}
