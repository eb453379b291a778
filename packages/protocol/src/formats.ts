/**
 * The format rules of values every package meets: country codes, network ids and ledger origins,
 * user names, short ids, e-mail addresses, domain names, language tags and time zones. Each rule is declared here once, as a predicate and the words an
 * error message quotes (`must be ${EMAIL_RULE}`), so a value one package takes is one every other
 * package takes too.
 */
import { BoundedMemo } from './bounded-memo.ts'

/** Most answers each cached rule keeps; the keys may be hostile input, so the caches are capped. */
export const FORMAT_CACHE_CAPACITY = 512
/** Longest key a cache keeps: no time zone name or language tag in use comes near it. */
const MAX_CACHED_KEY_LENGTH = 64

export const COUNTRY_CODE_RULE = 'two upper-case letters (ISO 3166-1 alpha-2)'

const COUNTRY_CODE = /^[A-Z]{2}$/

/**
 * The shape of an ISO 3166-1 alpha-2 code: two upper-case ASCII letters. This is the wire rule
 * (rosters, records, ledger entries, config); it does not ask whether ISO assigns the code, so
 * test networks may use AA, AB...
 */
export function isCountryCode(value: unknown): value is string {
  return typeof value === 'string' && COUNTRY_CODE.test(value)
}

export const ASSIGNED_COUNTRY_CODE_RULE =
  'an ISO 3166 country code in use today, two capital letters like HU or FR'

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })

/**
 * Codes Intl names that are not countries: ISO 3166-1's exceptionally reserved ones (EU, UN, the
 * Canary Islands...) and CLDR's own (Outlying Oceania, the pseudo-locales, Unknown Region).
 */
const NOT_COUNTRIES = new Set([
  'AC',
  'CP',
  'CQ',
  'DG',
  'EA',
  'EU',
  'EZ',
  'IC',
  'QO',
  'TA',
  'UN',
  'XA',
  'XB',
  'ZZ',
])

/**
 * The code ISO 3166-1 gives today to the country `value` names: `value` itself when it is current,
 * the new code for an old one that Intl still names (UK → GB, SU → RU), undefined when `value`
 * names no country (EU, ZZ, hu, H1).
 */
export function currentCountryCode(value: string): string | undefined {
  if (!isCountryCode(value) || regionNames.of(value) === undefined || NOT_COUNTRIES.has(value))
    return undefined
  return Intl.getCanonicalLocales(`und-${value}`)[0]?.slice(4)
}

/** Whether `value` is a code ISO 3166-1 assigns to a country today: what people type into forms. */
export function isAssignedCountryCode(value: unknown): value is string {
  return typeof value === 'string' && currentCountryCode(value) === value
}

/** Longest network id: 63 characters, what rosters and node configs have always taken. */
export const MAX_NETWORK_ID_LENGTH = 63

export const NETWORK_ID_RULE = `1-${MAX_NETWORK_ID_LENGTH} characters of a-z, 0-9, "." and "-", the first a letter or digit`

/**
 * A network id: ASCII only, so it reads the same in a roster, a config file, an envelope's `net`
 * and a checkpoint origin (where it must be printable ASCII without spaces, '+' or '/').
 */
export const NETWORK_ID_PATTERN = new RegExp(`^[a-z0-9][a-z0-9.-]{0,${MAX_NETWORK_ID_LENGTH - 1}}$`)

export function isNetworkId(value: unknown): value is string {
  return typeof value === 'string' && NETWORK_ID_PATTERN.test(value)
}

const LEDGER_ORIGIN_PREFIX = 'pocnet.invalid/'

export const LEDGER_ORIGIN_RULE = `pocnet.invalid/<network id>/<country code>, the network id ${NETWORK_ID_RULE} and the country code ${COUNTRY_CODE_RULE}`

/**
 * The origin line of a node's ledger, `pocnet.invalid/<network id>/<CC>` (`.invalid` is reserved
 * by RFC 2606: the origin names the log, it is not an address), or undefined when `network` or
 * `country` breaks its rule.
 */
export function ledgerOrigin(network: string, country: string): string | undefined {
  if (!isNetworkId(network) || !isCountryCode(country)) return undefined
  return `${LEDGER_ORIGIN_PREFIX}${network}/${country}`
}

/** The network id and country of a node's ledger origin, or undefined when `origin` is not one. */
export function parseLedgerOrigin(origin: string): { network: string; country: string } | undefined {
  if (!origin.startsWith(LEDGER_ORIGIN_PREFIX)) return undefined
  const rest = origin.slice(LEDGER_ORIGIN_PREFIX.length)
  const slash = rest.indexOf('/')
  const network = rest.slice(0, slash)
  const country = rest.slice(slash + 1)
  return slash >= 0 && isNetworkId(network) && isCountryCode(country) ? { network, country } : undefined
}

export function isLedgerOrigin(value: unknown): value is string {
  return typeof value === 'string' && parseLedgerOrigin(value) !== undefined
}

/** Longest name of a node's user (`pocnet user add`). */
export const MAX_USER_NAME_LENGTH = 32

export const USER_NAME_RULE = `1-${MAX_USER_NAME_LENGTH} characters of a-z, 0-9, ".", "_" and "-", the first a letter or digit`

/**
 * A user's name: what `pocnet user add` takes, and what follows `user:` in a ledger entry's actor.
 * ASCII without spaces, so a name reads the same in a log line, a shell and an audit report.
 */
export const USER_NAME_PATTERN = new RegExp(`^[a-z0-9][a-z0-9._-]{0,${MAX_USER_NAME_LENGTH - 1}}$`)

export function isUserName(value: unknown): value is string {
  return typeof value === 'string' && USER_NAME_PATTERN.test(value)
}

/** Most characters of a short id (a ledger entry's `caseId` or `messageId`). */
export const MAX_ID_CHARACTERS = 128

export const ID_TEXT_RULE = `1-${MAX_ID_CHARACTERS} characters (Unicode code points) without control characters`

/** C0 and C1 control characters and DEL: Unicode category Cc. */
const CONTROL = /\p{Cc}/u

/**
 * The number of Unicode code points in `value`, what a user counts as characters: an emoji is
 * one, not the two UTF-16 units `value.length` counts. (A flag or a family emoji, several code
 * points joined, still counts as several.)
 */
export function codePointLength(value: string): number {
  let n = 0
  for (const _ of value) n++
  return n
}

/**
 * Free text naming a case or a message in another system: 1-128 code points, no control
 * characters (they would reach logs and index keys). 100 emoji are 100 characters here.
 */
export function isIdText(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || CONTROL.test(value)) return false
  // at most 2 UTF-16 units per code point: only a long string needs counting
  return value.length <= MAX_ID_CHARACTERS || codePointLength(value) <= MAX_ID_CHARACTERS
}

export const DOMAIN_NAME_RULE = 'a domain name like example.org'

const DOMAIN_LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u

/**
 * The name in lower case without its final dot, or undefined when `value` is not a domain name:
 * two or more labels of letters (any script), digits and inner hyphens, at most 253 characters,
 * and not all-digit at the top (which would be an IPv4 address).
 */
export function normalDomainName(value: string): string | undefined {
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  const labels = name.split('.')
  if (name.length > 253 || labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l))) return undefined
  if (/^\d+$/.test(labels.at(-1)!)) return undefined
  return name.toLowerCase()
}

export function isDomainName(value: unknown): value is string {
  return typeof value === 'string' && normalDomainName(value) !== undefined
}

export const EMAIL_RULE = 'an e-mail address like name@example.org: 1-64 characters, an @, then a domain name'

const EMAIL = /^[^\s@]{1,64}@([^\s@]+)$/

/**
 * A local part of 1-64 characters with no space or @ (RFC 5321's limit), then a domain name as
 * isDomainName reads it. IP literals (name@[192.0.2.1]) are refused: a desk has a domain.
 */
export function isEmail(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const m = EMAIL.exec(value)
  return m !== null && isDomainName(m[1])
}

export const LANGUAGE_TAG_RULE = 'a BCP 47 language tag like en, fr or pt-BR'

/**
 * A primary language subtag of 2-3 letters (ISO 639). BCP 47 also reserves 4-8 letter ones that
 * no language has, and Intl takes them: without this, 'English' would pass as the tag 'english'.
 */
const ISO_639_LANGUAGE = /^[A-Za-z]{2,3}(-|$)/

// Intl.getCanonicalLocales costs about 10 µs, and records are decoded on every send: kept too.
const canonicalLanguageTags = new BoundedMemo(
  (tag: string): string | undefined => {
    if (!ISO_639_LANGUAGE.test(tag)) return undefined
    try {
      return Intl.getCanonicalLocales(tag)[0]
    } catch {
      return undefined
    }
  },
  FORMAT_CACHE_CAPACITY,
  MAX_CACHED_KEY_LENGTH,
)

/**
 * The canonical form of a well-formed BCP 47 tag as Intl writes it (EN → en, pt-br → pt-BR,
 * iw → he), or undefined when Intl cannot read `value` as one.
 */
export function canonicalLanguageTag(value: string): string | undefined {
  return canonicalLanguageTags.get(value)
}

/**
 * A well-formed BCP 47 language tag with a 2-3 letter language, in any letter case (en, EN,
 * pt-BR, zh-Hant-TW, de-DE-1996).
 */
export function isLanguageTag(value: unknown): value is string {
  return typeof value === 'string' && canonicalLanguageTag(value) !== undefined
}

export const TIME_ZONE_RULE =
  'an IANA time zone name like Europe/Budapest or UTC (bare offsets like +01:00 ignore summer time)'

/** Area/Location names; Intl also takes bare offsets (+01:00, +01), which ignore summer time. */
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/

// Building an Intl.DateTimeFormat costs about 0.1 ms: a sender checking every record's zone spent
// 6.7 % of its CPU there, so each name's answer is kept.
const canonicalTimeZones = new BoundedMemo(
  (name: string): string | undefined => {
    if (!TIME_ZONE_NAME.test(name)) return undefined
    try {
      return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone
    } catch {
      return undefined
    }
  },
  FORMAT_CACHE_CAPACITY,
  MAX_CACHED_KEY_LENGTH,
)

/**
 * The name Intl resolves an IANA zone name to (utc → UTC, europe/paris → Europe/Paris), or
 * undefined when `value` is not a zone name Intl knows.
 */
export function canonicalTimeZone(value: string): string | undefined {
  return canonicalTimeZones.get(value)
}

export function isTimeZone(value: unknown): value is string {
  return typeof value === 'string' && canonicalTimeZone(value) !== undefined
}

/** Etc/GMT±N, in any letter case: a fixed offset under a zone's name. */
const ETC_GMT_OFFSET = /^Etc\/GMT[+-]\d+$/i

/**
 * Why `value` may not be typed where a place's time is meant (a request form, a shift, a record
 * this node publishes), or undefined when it may. Etc/GMT±N is refused: its sign is the reverse
 * of what people read (Etc/GMT-2 is UTC+2) and it knows no summer time, so a time set with it is
 * an hour off half the year. `isTimeZone` still takes it, so values already stored stay readable.
 */
export function fixedOffsetZoneProblem(value: string): string | undefined {
  if (!ETC_GMT_OFFSET.test(value)) return undefined
  return `"${value}" is refused: Etc/GMT zones have the reverse sign (Etc/GMT-2 is UTC+2) and no summer time; use the place's zone, e.g. "Europe/Paris"`
}

/**
 * Why `value` is not a time zone a person may type (not a string, a bare offset, a name Intl does
 * not know, or Etc/GMT±N), or undefined when it is one.
 */
export function timeZoneProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return `must be ${TIME_ZONE_RULE}`
  const fixed = fixedOffsetZoneProblem(value)
  if (fixed !== undefined) return fixed
  if (!/^[A-Za-z]/.test(value)) return `"${value}" is an offset, not a zone: use ${TIME_ZONE_RULE}`
  if (canonicalTimeZone(value) === undefined)
    return `"${value}" is not a known time zone: use ${TIME_ZONE_RULE}`
  return undefined
}

/** How many answers each cache holds now: for tests of the cap. */
export function formatCacheSizes(): { languageTags: number; timeZones: number } {
  return { languageTags: canonicalLanguageTags.size, timeZones: canonicalTimeZones.size }
}
