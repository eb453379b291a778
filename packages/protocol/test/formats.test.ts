import { describe, expect, it } from 'vitest'
import {
  canonicalLanguageTag,
  canonicalTimeZone,
  currentCountryCode,
  FORMAT_CACHE_CAPACITY,
  fixedOffsetZoneProblem,
  formatCacheSizes,
  isAssignedCountryCode,
  isCountryCode,
  isDomainName,
  isEmail,
  isIdText,
  isLanguageTag,
  isLedgerOrigin,
  isNetworkId,
  isTimeZone,
  isUserName,
  ledgerOrigin,
  MAX_ID_CHARACTERS,
  normalDomainName,
  parseLedgerOrigin,
  timeZoneProblem,
} from '../src/formats.ts'

describe('isCountryCode (the wire shape)', () => {
  it.each(['FR', 'HU', 'GB', 'AA', 'ZZ', 'UK', 'EU'])('takes %s', (code) =>
    expect(isCountryCode(code)).toBe(true),
  )
  it.each(['fr', 'Fr', 'F', 'FRA', 'F1', '', ' FR', 'FR\n', 'ÉU', 'ＦＲ'])('refuses %j', (code) =>
    expect(isCountryCode(code)).toBe(false),
  )
  it('refuses what is not a string', () => {
    for (const v of [undefined, null, 33, ['FR'], { FR: 1 }]) expect(isCountryCode(v)).toBe(false)
  })
})

describe('isNetworkId', () => {
  it.each(['g8-24-7', 'test-net', 'a', '0', 'pocnet.example', 'x'.repeat(63)])('takes %j', (id) =>
    expect(isNetworkId(id)).toBe(true),
  )
  // protocol.md once said 1-64 bytes of UTF-8: a 64-byte or non-ASCII id is refused everywhere now
  it.each(['', 'x'.repeat(64), 'Test-Net', '-net', '.net', 'réseau', 'g8 24', 'g8/24', 'g8+24', 'net\n'])(
    'refuses %j',
    (id) => expect(isNetworkId(id)).toBe(false),
  )
})

describe('ledger origins', () => {
  it('are pocnet.invalid/<network id>/<CC>, read back into their parts', () => {
    expect(ledgerOrigin('g8-24-7', 'FR')).toBe('pocnet.invalid/g8-24-7/FR')
    expect(parseLedgerOrigin('pocnet.invalid/g8-24-7/FR')).toEqual({ network: 'g8-24-7', country: 'FR' })
    expect(isLedgerOrigin('pocnet.invalid/g8-24-7/FR')).toBe(true)
  })
  it.each([
    ['Net', 'FR'],
    ['', 'FR'],
    ['net/x', 'FR'],
    ['net', 'fr'],
    ['net', 'FRA'],
  ])('has none for network %j and country %j', (network, country) =>
    expect(ledgerOrigin(network, country)).toBeUndefined(),
  )
  it.each([
    'pocnet.invalid/net',
    'pocnet.invalid//FR',
    'pocnet.invalid/Net/FR',
    'pocnet.invalid/net/x/FR',
    'pocnet.invalid/net/fr',
    'example.com/net/FR',
    'pocnet.invalid/net/FR/',
  ])('refuses %j', (origin) => {
    expect(parseLedgerOrigin(origin)).toBeUndefined()
    expect(isLedgerOrigin(origin)).toBe(false)
  })
})

describe('isUserName', () => {
  it.each(['anna', 'jean', 't', 'audit.or', 'duty_officer-2', '0', 'x'.repeat(32)])('takes %j', (name) =>
    expect(isUserName(name)).toBe(true),
  )
  it.each(['', 'x'.repeat(33), 'Anna', 'two words', '-anna', '_anna', 'anna@fr', 'jürgen', 'a\tb'])(
    'refuses %j',
    (name) => expect(isUserName(name)).toBe(false),
  )
})

describe('isIdText (a case or message id)', () => {
  it(`counts Unicode code points: ${MAX_ID_CHARACTERS} emoji are ${MAX_ID_CHARACTERS} characters`, () => {
    expect(isIdText('🔒'.repeat(100))).toBe(true)
    expect(isIdText('🔒'.repeat(MAX_ID_CHARACTERS))).toBe(true)
    expect(isIdText('🔒'.repeat(MAX_ID_CHARACTERS + 1))).toBe(false)
    expect(isIdText('x'.repeat(MAX_ID_CHARACTERS))).toBe(true)
    expect(isIdText('x'.repeat(MAX_ID_CHARACTERS + 1))).toBe(false)
  })
  it.each(['FR-2026-0042', 'Dossier n° 12/2026 é', 'm 1 ~'])('takes %j', (id) =>
    expect(isIdText(id)).toBe(true),
  )
  it.each(['', 'a\nb', 'a\u0085b', 'a\u007fb', 42])('refuses %j', (id) => expect(isIdText(id)).toBe(false))
})

describe('isAssignedCountryCode and currentCountryCode (what forms take)', () => {
  it.each(['HU', 'GB', 'DE', 'FR', 'XK', 'US'])('takes %s', (code) => {
    expect(isAssignedCountryCode(code)).toBe(true)
    expect(currentCountryCode(code)).toBe(code)
  })
  it('names the current code of an old one', () => {
    expect(currentCountryCode('UK')).toBe('GB')
    expect(currentCountryCode('SU')).toBe('RU')
    expect(isAssignedCountryCode('UK')).toBe(false)
  })
  // the shape alone takes all of these; EU, UN, ZZ... are names Intl knows that are not countries
  it.each(['EU', 'UN', 'ZZ', 'XA', 'XB', 'IC', 'QO', 'AA', 'hu', 'H1', 'HUN', ''])('refuses %j', (code) => {
    expect(isAssignedCountryCode(code)).toBe(false)
    expect(currentCountryCode(code)).toBeUndefined()
  })
})

describe('isDomainName', () => {
  it('takes names, internationalised ones and a final dot, and writes them in lower case', () => {
    expect(normalDomainName('Example.ORG.')).toBe('example.org')
    expect(isDomainName('példa.hu')).toBe(true)
    expect(isDomainName('a-b.c-d.example')).toBe(true)
    expect(isDomainName(`${'a'.repeat(63)}.org`)).toBe(true)
  })
  it.each([
    'localhost',
    '192.0.2.1',
    '-bad-.org',
    'bad-.org',
    'a..org',
    '.example.org',
    'under_score.org',
    `${'a'.repeat(64)}.org`,
    `${'a.'.repeat(126)}org`,
    '',
  ])('refuses %j', (name) => expect(isDomainName(name)).toBe(false))
})

describe('isEmail', () => {
  it.each([
    'desk@example.org',
    'poc.247+cyber@police.gov.hu',
    'desk@példa.hu',
    'desk@example.org.',
    `${'a'.repeat(64)}@example.org`,
    'DESK@EXAMPLE.ORG',
  ])('takes %s', (address) => expect(isEmail(address)).toBe(true))
  // the directory record's old rule (anything@anything.anything) took the ones marked *
  it.each([
    'poc247-at-example.hu',
    'payme@',
    '@example.org',
    'a@b@example.org',
    'desk @example.org',
    'desk@localhost',
    `${'a'.repeat(65)}@example.org`, // *: longer than RFC 5321's local part
    'desk@under_score.org', // *
    'desk@a..org', // *
    'desk@10.0.0.1', // *
    'desk@[192.0.2.1]', // *
    'desk@-bad.org', // *
    '',
  ])('refuses %j', (address) => expect(isEmail(address)).toBe(false))
})

describe('isLanguageTag and canonicalLanguageTag', () => {
  it.each([
    ['en', 'en'],
    ['fr', 'fr'],
    ['pt-BR', 'pt-BR'],
    ['pt-br', 'pt-BR'],
    ['zh-Hant-TW', 'zh-Hant-TW'],
    ['de-DE-1996', 'de-DE-1996'],
    ['sr-Latn-RS', 'sr-Latn-RS'],
    ['iw', 'he'],
    // the directory record's old regex refused these two, which Intl reads as BCP 47 does
    ['EN', 'en'],
    ['en-US-u-ca-gregory', 'en-US-u-ca-gregory'],
  ])('takes %s as %s', (tag, canonical) => {
    expect(isLanguageTag(tag)).toBe(true)
    expect(canonicalLanguageTag(tag)).toBe(canonical)
  })
  // the directory record's old regex took en-12 and en-a1, whose subtags are no region or variant;
  // Intl takes English and abcde as the reserved 5-8 letter language subtags no language has
  it.each([
    'English',
    'abcde',
    'engl-US',
    'english language',
    'xx-!!',
    'en_US',
    'en-',
    'e',
    '',
    'en-12',
    'en-a1',
    'x-klingon',
  ])('refuses %j', (tag) => {
    expect(isLanguageTag(tag)).toBe(false)
    expect(canonicalLanguageTag(tag)).toBeUndefined()
  })
})

describe('isTimeZone and canonicalTimeZone', () => {
  it.each([
    ['Europe/Budapest', 'Europe/Budapest'],
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
    ['europe/paris', 'Europe/Paris'],
    ['America/New_York', 'America/New_York'],
    ['Etc/GMT+1', 'Etc/GMT+1'],
    ['EST5EDT', 'EST5EDT'],
  ])('takes %s as %s', (zone, canonical) => {
    expect(isTimeZone(zone)).toBe(true)
    expect(canonicalTimeZone(zone)).toBe(canonical)
  })
  // Intl takes bare offsets, and the directory record's old rule took '+01' and '-05'
  it.each(['+01:00', '+01', '-05', '+0100', 'Mars/Olympus_Mons', 'Berlin', '/UTC', 'Europe//Paris', 'Z', ''])(
    'refuses %j',
    (zone) => {
      expect(isTimeZone(zone)).toBe(false)
      expect(canonicalTimeZone(zone)).toBeUndefined()
    },
  )
  it('refuses what is not a string', () => {
    expect(isTimeZone(undefined)).toBe(false)
    expect(isTimeZone(1)).toBe(false)
  })
})

describe('timeZoneProblem and fixedOffsetZoneProblem', () => {
  it('takes the zones of places, and refuses Etc/GMT±N naming why', () => {
    expect(timeZoneProblem('Europe/Paris')).toBeUndefined()
    expect(timeZoneProblem('UTC')).toBeUndefined()
    expect(fixedOffsetZoneProblem('Europe/Paris')).toBeUndefined()
    for (const zone of ['Etc/GMT+1', 'Etc/GMT-2', 'etc/gmt+10']) {
      expect(fixedOffsetZoneProblem(zone)).toMatch(/reverse sign \(Etc\/GMT-2 is UTC\+2\) and no summer time/)
      expect(timeZoneProblem(zone)).toBe(fixedOffsetZoneProblem(zone))
    }
  })

  it('names an offset, an unknown name and a non-string apart', () => {
    expect(timeZoneProblem('+02:00')).toMatch(/offset, not a zone/)
    expect(timeZoneProblem('Mars/Olympus')).toMatch(/not a known time zone/)
    expect(timeZoneProblem(7)).toMatch(/IANA time zone/)
  })
})

describe('the caches', () => {
  // before the flood below, while the caches have room: a kept key would show in their sizes
  it('do not keep very long keys', () => {
    const before = formatCacheSizes()
    expect(isTimeZone(`Europe/${'x'.repeat(100_000)}`)).toBe(false)
    expect(isLanguageTag(`en-x-${'abcdefgh-'.repeat(10_000)}a`)).toBe(true)
    expect(formatCacheSizes()).toEqual(before)
  })
  it(`hold at most ${FORMAT_CACHE_CAPACITY} answers each under a flood of distinct names, and still answer right`, () => {
    for (let i = 0; i < FORMAT_CACHE_CAPACITY * 2; i++) {
      expect(isTimeZone(`Hostile/Zone_${i}`)).toBe(false)
      expect(isLanguageTag(`en-x-f${i}`)).toBe(true)
    }
    expect(formatCacheSizes()).toEqual({
      languageTags: FORMAT_CACHE_CAPACITY,
      timeZones: FORMAT_CACHE_CAPACITY,
    })
    expect(isTimeZone('Europe/Budapest')).toBe(true)
    expect(isLanguageTag('english language')).toBe(false)
  })
})
