import {
  COUNTRY_CODE_RULE,
  fixedOffsetZoneProblem,
  isCountryCode,
  isTimeZone,
  TIME_ZONE_RULE,
} from '@pocnet/protocol/formats'
import type { ConfigProblem } from '../errors.ts'

/** The local hours a scheduled drill round may start in: `from` to `to` (which may pass midnight). */
export interface DrillHours {
  /** "HH:MM", 24-hour, local time in `timeZone`. */
  from: string
  /** "HH:MM": the window ends just before it. */
  to: string
  /** IANA time zone the hours are in, e.g. "Europe/Rome". */
  timeZone: string
}

/** The `drills` section of config.json (docs/operations.md, Drills). */
export interface DrillsConfig {
  /** false: every drill is received and answered at once with a signed refusal. Default true. */
  accept?: boolean
  /** How often a scheduled round runs, as text: "30m", "12h", "7d". Neither this nor `intervalMs`: no schedule. */
  every?: string
  /** The same in milliseconds. */
  intervalMs?: number
  /** When rounds may start; absent: any time. */
  hours?: DrillHours
  /** The countries a scheduled round drills; absent: every other member. */
  countries?: string[]
}

/** A scheduled round at most this often: a drill pages a person. */
export const MIN_DRILL_INTERVAL_MS = 60_000

const KEYS = ['accept', 'every', 'intervalMs', 'hours', 'countries']
const HOURS_KEYS = ['from', 'to', 'timeZone']
const EVERY = /^([1-9][0-9]{0,5})(m|h|d)$/
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const CLOCK_TIME = /^([01][0-9]|2[0-3]):([0-5][0-9])$/

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Milliseconds of an `every` text such as "12h", or undefined when it is not one. */
export function parseEvery(text: string): number | undefined {
  const m = EVERY.exec(text)
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]
}

/** Minutes after local midnight of an "HH:MM" time, or undefined when it is not one. */
export function clockMinutes(text: string): number | undefined {
  const m = CLOCK_TIME.exec(text)
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2])
}

/** The interval of scheduled rounds, or undefined when the node runs none. Expects a validated config. */
export function drillIntervalMs(config: DrillsConfig | undefined): number | undefined {
  if (config?.intervalMs !== undefined) return config.intervalMs
  return config?.every === undefined ? undefined : parseEvery(config.every)
}

/** Whether the node takes part in drills (answers with acknowledgements) rather than refusing them. */
export function acceptsDrills(config: DrillsConfig | undefined): boolean {
  return config?.accept !== false
}

/**
 * Adds to `problems` what is wrong with a `drills` section, each naming the field and the rule;
 * `ownCountry` is the node's, which it cannot drill.
 */
export function drillsConfigProblems(raw: unknown, ownCountry: unknown, problems: ConfigProblem[]): void {
  if (!isObject(raw) || Object.keys(raw).some((k) => !KEYS.includes(k))) {
    problems.push({
      path: 'drills',
      message: `must be an object with only ${KEYS.map((k) => `"${k}"`).join(', ')}`,
    })
    return
  }
  if (raw.accept !== undefined && typeof raw.accept !== 'boolean')
    problems.push({ path: 'drills.accept', message: 'must be true or false when present' })
  if (raw.every !== undefined && raw.intervalMs !== undefined)
    problems.push({
      path: 'drills.every',
      message: 'must not be given together with drills.intervalMs: give one',
    })
  if (raw.every !== undefined) {
    const ms = typeof raw.every === 'string' ? parseEvery(raw.every) : undefined
    if (ms === undefined)
      problems.push({
        path: 'drills.every',
        message: 'must be a whole number and a unit m, h or d, e.g. "12h"',
      })
    else if (ms < MIN_DRILL_INTERVAL_MS)
      problems.push({ path: 'drills.every', message: 'must be at least "1m"' })
  }
  if (
    raw.intervalMs !== undefined &&
    (typeof raw.intervalMs !== 'number' ||
      !Number.isSafeInteger(raw.intervalMs) ||
      raw.intervalMs < MIN_DRILL_INTERVAL_MS)
  )
    problems.push({
      path: 'drills.intervalMs',
      message: `must be a whole number of milliseconds, at least ${MIN_DRILL_INTERVAL_MS} (one minute)`,
    })
  if (raw.hours !== undefined) hoursProblems(raw.hours, problems)
  if (raw.countries !== undefined) {
    const c = raw.countries
    if (!Array.isArray(c) || c.length === 0)
      problems.push({ path: 'drills.countries', message: `must be a non-empty list of ${COUNTRY_CODE_RULE}` })
    else {
      for (const [i, code] of c.entries())
        if (!isCountryCode(code))
          problems.push({
            path: `drills.countries[${i}]`,
            message: `must be ${COUNTRY_CODE_RULE}, e.g. "FR"`,
          })
      if (new Set(c).size !== c.length)
        problems.push({ path: 'drills.countries', message: 'must name each country once' })
      if (c.includes(ownCountry))
        problems.push({
          path: 'drills.countries',
          message: `must not name this node's own country (${ownCountry})`,
        })
    }
  }
}

function hoursProblems(hours: unknown, problems: ConfigProblem[]): void {
  if (!isObject(hours) || Object.keys(hours).some((k) => !HOURS_KEYS.includes(k))) {
    problems.push({
      path: 'drills.hours',
      message: 'must be an object with only "from", "to" and "timeZone"',
    })
    return
  }
  const times: Array<number | undefined> = []
  for (const key of ['from', 'to'] as const) {
    const v = hours[key]
    const minutes = typeof v === 'string' ? clockMinutes(v) : undefined
    if (minutes === undefined)
      problems.push({ path: `drills.hours.${key}`, message: 'must be a 24-hour time "HH:MM", e.g. "08:00"' })
    times.push(minutes)
  }
  if (times[0] !== undefined && times[0] === times[1])
    problems.push({
      path: 'drills.hours.to',
      message: 'must differ from drills.hours.from (the window would be empty)',
    })
  if (!isTimeZone(hours.timeZone))
    problems.push({ path: 'drills.hours.timeZone', message: `must be ${TIME_ZONE_RULE}, e.g. "Europe/Rome"` })
  else {
    const fixed = fixedOffsetZoneProblem(hours.timeZone)
    if (fixed !== undefined) problems.push({ path: 'drills.hours.timeZone', message: fixed })
  }
}
