import {
  ASSIGNED_COUNTRY_CODE_RULE,
  canonicalLanguageTag,
  canonicalTimeZone,
  currentCountryCode,
  DOMAIN_NAME_RULE,
  EMAIL_RULE,
  fixedOffsetZoneProblem,
  isEmail,
  LANGUAGE_TAG_RULE,
  normalDomainName,
  TIME_ZONE_RULE,
} from '@pocnet/protocol/formats'

/**
 * Format checks for the values a PoC types into a form. Each returns the accepted value or a
 * short reason meant to be read next to the field path; none of them throws.
 */
export type FormatCheck<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string }

const accept = <T>(value: T): FormatCheck<T> => ({ ok: true, value })
const reject = (reason: string): FormatCheck<never> => ({ ok: false, reason })

const EXAMPLE_TIME = '2026-11-28T14:03:00+01:00'
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i

export interface Timestamp {
  /** As written, offset included: what the provider searches its logs with. */
  readonly text: string
  /** The same instant in UTC, ISO 8601 with `Z`. */
  readonly utc: string
  readonly epochMs: number
}

/** Milliseconds since the epoch of a UTC date and time; unlike Date.UTC, years 0-99 are not read as 19xx. */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, ms)
  return date.getTime()
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMs(year, month + 1, 0)).getUTCDate()
}

/** Whether `text` is a real calendar date written YYYY-MM-DD (no 2023-02-30, which Date.parse takes). */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (m === null) return false
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/** A date and time with an explicit UTC offset (`Z` or `±hh:mm`), as RFC 3339 requires. */
export function checkTimestamp(value: string): FormatCheck<Timestamp> {
  const m = DATE_TIME.exec(value)
  if (m === null) return reject(`'${value}' is not a date and time; write it like ${EXAMPLE_TIME}`)
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone] = m
  const stamp = `${y}-${mo}-${d}T${h}:${mi}:${s}`
  if (zone === undefined) {
    return reject(
      `'${value}' has no UTC offset; providers keep logs in UTC or local time, and without the zone ` +
        `the log line cannot be found. Write it like ${stamp}+01:00, with the offset of the clock it was read from (Z for UTC)`,
    )
  }
  if (value[10] === ' ')
    return reject(`'${value}': put a 'T' between the date and the time, like ${EXAMPLE_TIME}`)
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return reject(`'${value}' is not a real date and time`)
  }
  let offsetMinutes = 0
  if (zone.toUpperCase() !== 'Z') {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 14 || om > 59) return reject(`'${value}' has an offset outside -14:00..+14:00`)
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const millis = fraction === '' ? 0 : Math.floor(Number(`0${fraction}`) * 1000)
  const epochMs = utcMs(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000
  return accept({ text: value, utc: new Date(epochMs).toISOString(), epochMs })
}

function ipv4Octets(value: string): number[] | undefined {
  const parts = value.split('.')
  if (parts.length !== 4) return undefined
  const octets: number[] = []
  for (const part of parts) {
    // Leading zeros are refused: some tools read 010 as octal 8, so the address would be ambiguous.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    octets.push(n)
  }
  return octets
}

export function isIPv4(value: string): boolean {
  return ipv4Octets(value) !== undefined
}

export function isIPv6(value: string): boolean {
  if (value.length > 45) return false
  const halves = value.split('::')
  if (halves.length > 2) return false
  const groupsOf = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'))
  const head = groupsOf(halves[0]!)
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : []
  if (head === undefined || tail === undefined) return false
  const groups = [...head, ...tail]
  let width = groups.length
  // An embedded IPv4 address (::ffff:192.0.2.1) stands for the last two groups.
  const last = groups.at(-1)
  if (last?.includes('.')) {
    if (!isIPv4(last)) return false
    groups.pop()
    width += 1
  }
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false
  return halves.length === 2 ? width <= 7 : width === 8
}

export function checkEmail(value: string): FormatCheck<string> {
  return isEmail(value) ? accept(value) : reject(`'${value}' is not ${EMAIL_RULE}`)
}

export function checkDomain(value: string): FormatCheck<string> {
  const name = normalDomainName(value)
  return name === undefined ? reject(`'${value}' is not ${DOMAIN_NAME_RULE}`) : accept(name)
}

export function checkUrl(value: string): FormatCheck<string> {
  if (!URL.canParse(value)) {
    return reject(`'${value}' is not a full URL; include the scheme, like https://example.org/path`)
  }
  const url = new URL(value)
  if (url.hostname === '')
    return reject(`'${value}' has no host name; write it like https://example.org/path`)
  return accept(value)
}

/** E.164: a plus sign, a country code and up to 15 digits; spaces, dots, dashes and brackets are ignored. */
export function checkPhone(value: string): FormatCheck<string> {
  const digits = value.replace(/[\s.()-]/g, '')
  if (!/^\+[1-9]\d{6,14}$/.test(digits)) {
    return reject(
      `'${value}' is not an international number; write it with + and the country code, like +36 1 234 5678`,
    )
  }
  return accept(digits)
}

/** An IANA zone name (Europe/Budapest, UTC), never Etc/GMT±N: office hours mean nothing without it. */
export function checkTimeZone(value: string): FormatCheck<string> {
  const zone = canonicalTimeZone(value)
  if (zone === undefined) return reject(`'${value}' is not ${TIME_ZONE_RULE}`)
  const fixed = fixedOffsetZoneProblem(value)
  return fixed === undefined ? accept(zone) : reject(fixed)
}

/** A BCP 47 language tag (en, fr, pt-BR), written in its canonical form. */
export function checkLanguage(value: string): FormatCheck<string> {
  const tag = canonicalLanguageTag(value)
  return tag === undefined ? reject(`'${value}' is not ${LANGUAGE_TAG_RULE}`) : accept(tag)
}

/** An ISO 3166-1 alpha-2 country code in use today; an old one is refused naming the new one. */
export function checkCountry(value: string): FormatCheck<string> {
  const current = currentCountryCode(value)
  if (current === undefined) return reject(`'${value}' is not ${ASSIGNED_COUNTRY_CODE_RULE}`)
  // Intl also names old and reserved codes (UK, SU, YU...), which rosters and providers do not use
  if (current !== value)
    return reject(`'${value}' is not the ISO 3166 code of that country; write ${current}`)
  return accept(value)
}

export function checkSha256(value: string): FormatCheck<string> {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) {
    return reject('is not a SHA-256 hash: it must be 64 hexadecimal characters (sha256sum prints it)')
  }
  return accept(value.toLowerCase())
}
