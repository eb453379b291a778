import { isUserName, timeZoneProblem, USER_NAME_RULE } from '@pocnet/protocol/formats'

/**
 * The duty roster of one node: who answers the desk when, and how each person is reached. It
 * never leaves the node: the directory record keeps the desk's own contact, and the ledger keeps
 * names and changes, never a person's channels.
 */
export interface DutyRoster {
  people: DutyPerson[]
  shifts: Shift[]
  covers: Cover[]
}

/** How a person is alerted: any of a phone number, an e-mail address, a pager id. */
export interface Channels {
  phone?: string
  email?: string
  pager?: string
}

export const CHANNEL_KINDS = ['phone', 'email', 'pager'] as const

/** A control-API user (role contact or supervisor) and their own alert channels. */
export interface DutyPerson {
  name: string
  channels: Channels
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/**
 * A weekly shift: on each of `days`, from `start` to `end` local time in `timeZone`; an `end`
 * at or before `start` ends the next day (an overnight shift; equal times, 24 hours).
 */
export interface Shift {
  id: string
  officer: string
  backup?: string
  supervisor?: string
  timeZone: string
  days: Weekday[]
  /** "HH:MM", 24-hour. */
  start: string
  end: string
}

/** `person` stands in for `absent`, in every place `absent` holds on the roster, from `from` until `until`. */
export interface Cover {
  id: string
  person: string
  absent: string
  /** ISO 8601 UTC. */
  from: string
  until: string
}

export const SHIFT_ID_RULE = '1-32 characters of a-z 0-9 and -, starting with a letter or digit'
const SHIFT_ID = /^[a-z0-9][a-z0-9-]{0,31}$/
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/
const PHONE = /^\+[1-9]\d{6,14}$/
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/
const PAGER = /^[\x21-\x7e]{1,64}$/

export const CHANNEL_RULES: Record<(typeof CHANNEL_KINDS)[number], { test: RegExp; rule: string }> = {
  phone: { test: PHONE, rule: 'must be a phone number in E.164 form, "+" and 7 to 15 digits' },
  email: { test: EMAIL, rule: 'must be an e-mail address' },
  pager: { test: PAGER, rule: 'must be 1-64 printable characters, no spaces' },
}

export function isShiftId(v: unknown): v is string {
  return typeof v === 'string' && SHIFT_ID.test(v)
}

/** Minutes after midnight of "HH:MM". */
export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

/** Every problem with a shift, each naming its field and the rule; empty when it is sound. */
export function shiftProblems(shift: Record<string, unknown>, at = ''): string[] {
  const problems: string[] = []
  if (!isShiftId(shift.id)) problems.push(`${at}id: must be ${SHIFT_ID_RULE}`)
  for (const field of ['officer', 'backup', 'supervisor'] as const) {
    const v = shift[field]
    if (v === undefined && field !== 'officer') continue
    if (!isUserName(v)) problems.push(`${at}${field}: must be a user name (${USER_NAME_RULE})`)
  }
  const zone = timeZoneProblem(shift.timeZone)
  if (zone !== undefined) problems.push(`${at}timeZone: ${zone}`)
  const days = shift.days
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    days.some((d) => !(WEEKDAYS as readonly unknown[]).includes(d)) ||
    new Set(days).size !== days.length
  )
    problems.push(`${at}days: must be a list of distinct weekdays from ${WEEKDAYS.join(', ')}`)
  for (const field of ['start', 'end'] as const) {
    const v = shift[field]
    if (typeof v !== 'string' || !HHMM.test(v))
      problems.push(`${at}${field}: must be a local time "HH:MM" from 00:00 to 23:59`)
  }
  return problems
}

/** Every problem with a person's channels. */
export function channelProblems(channels: unknown, at = 'channels.'): string[] {
  if (typeof channels !== 'object' || channels === null || Array.isArray(channels))
    return [`${at.replace(/\.$/, '')}: must be an object with phone, email or pager`]
  const problems: string[] = []
  for (const [kind, value] of Object.entries(channels)) {
    const rule = CHANNEL_RULES[kind as (typeof CHANNEL_KINDS)[number]]
    if (rule === undefined) problems.push(`${at}${kind}: is not a channel (${CHANNEL_KINDS.join(', ')})`)
    else if (typeof value !== 'string' || !rule.test.test(value)) problems.push(`${at}${kind}: ${rule.rule}`)
  }
  return problems
}

/** Every problem with a cover. */
export function coverProblems(cover: Record<string, unknown>, at = ''): string[] {
  const problems: string[] = []
  if (!isShiftId(cover.id)) problems.push(`${at}id: must be ${SHIFT_ID_RULE}`)
  for (const field of ['person', 'absent'] as const)
    if (!isUserName(cover[field])) problems.push(`${at}${field}: must be a user name (${USER_NAME_RULE})`)
  const times: number[] = []
  for (const field of ['from', 'until'] as const) {
    const v = cover[field]
    const t = typeof v === 'string' && /(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : Number.NaN
    if (Number.isNaN(t))
      problems.push(`${at}${field}: must be a timestamp with a zone, e.g. 2026-11-28T14:00:00Z`)
    times.push(t)
  }
  if (times.length === 2 && !(times[0]! < times[1]!) && problems.length === 0)
    problems.push(`${at}until: must be after from`)
  if (cover.person === cover.absent && cover.person !== undefined)
    problems.push(`${at}person: cannot cover for themselves`)
  return problems
}

/** The parsed content of duty.json, or every problem found in it. */
export function checkRoster(value: unknown): DutyRoster | string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['the content must be an object with people, shifts and covers']
  const v = value as Record<string, unknown>
  const problems: string[] = []
  for (const key of ['people', 'shifts', 'covers'])
    if (!Array.isArray(v[key])) problems.push(`${key}: must be a list`)
  if (problems.length > 0) return problems
  for (const [i, p] of (v.people as unknown[]).entries()) {
    const person = (p ?? {}) as Record<string, unknown>
    if (!isUserName(person.name)) problems.push(`people[${i}].name: must be ${USER_NAME_RULE}`)
    problems.push(...channelProblems(person.channels, `people[${i}].channels.`))
  }
  const ids = new Set<string>()
  for (const [i, s] of (v.shifts as unknown[]).entries()) {
    const shift = (s ?? {}) as Record<string, unknown>
    problems.push(...shiftProblems(shift, `shifts[${i}].`))
    if (typeof shift.id === 'string' && ids.has(shift.id))
      problems.push(`shifts[${i}].id: "${shift.id}" twice`)
    ids.add(String(shift.id))
  }
  for (const [i, c] of (v.covers as unknown[]).entries())
    problems.push(...coverProblems((c ?? {}) as Record<string, unknown>, `covers[${i}].`))
  return problems.length > 0 ? problems : (v as unknown as DutyRoster)
}
