import { isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6 } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkCountry,
  checkDomain,
  checkPhone,
  checkTimestamp,
  checkTimeZone,
  checkUrl,
  isIPv4,
  isIPv6,
} from '../src/formats.ts'

describe('checkTimestamp', () => {
  it.each([
    ['2026-11-28T14:03:00+01:00', '2026-11-28T13:03:00.000Z'],
    ['2026-11-28T14:03Z', '2026-11-28T14:03:00.000Z'],
    ['2026-11-28T00:30:00-05:30', '2026-11-28T06:00:00.000Z'],
    ['2026-11-28T14:03:00.123456+00:00', '2026-11-28T14:03:00.123Z'],
    ['2028-02-29T23:59:59+14:00', '2028-02-29T09:59:59.000Z'],
    // a year under 100 is that year, not 19xx (Date.UTC's two-digit rule)
    ['0026-11-28T14:03:00Z', '0026-11-28T14:03:00.000Z'],
  ])('reads %s as %s', (text, utc) => {
    expect(checkTimestamp(text)).toMatchObject({ ok: true, value: { text, utc } })
  })

  it.each([
    ['2026-11-28T14:03:00', 'has no UTC offset'],
    ['2026-11-28 14:03', 'has no UTC offset'],
    ['2026-11-28 14:03:00Z', "put a 'T'"],
    ['2027-02-29T10:00:00Z', 'not a real date'],
    ['2026-11-28T24:00:00Z', 'not a real date'],
    ['2026-11-28T10:00:00+15:00', 'outside -14:00..+14:00'],
    ['28/11/2026 14:03', 'not a date and time'],
    ['1764338580', 'not a date and time'],
  ])('refuses %s: %s', (text, reason) => {
    const checked = checkTimestamp(text)
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.reason).toContain(reason)
  })

  it('agrees with Date.parse on every instant it accepts', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-02T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (date, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19)
          const sign = offset < 0 ? '-' : '+'
          const abs = Math.abs(offset)
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
          const checked = checkTimestamp(local + zone)
          return checked.ok && checked.value.epochMs === Date.parse(local + zone)
        },
      ),
    )
  })
})

describe('IP addresses', () => {
  it.each(['192.0.2.1', '0.0.0.0', '255.255.255.255'])('accepts IPv4 %s', (a) => expect(isIPv4(a)).toBe(true))
  it.each(['256.0.0.1', '1.2.3', '010.0.0.1', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4/24'])(
    'refuses IPv4 %s',
    (a) => expect(isIPv4(a)).toBe(false),
  )
  it.each([
    '::',
    '::1',
    '2001:db8::7',
    '2001:0db8:0000:0000:0000:ff00:0042:8329',
    '::ffff:192.0.2.1',
    'fe80::1:2:3:4:5:6',
  ])('accepts IPv6 %s', (a) => expect(isIPv6(a)).toBe(true))
  it.each([
    '2001:db8:::7',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '2001:db8::7::1',
    'fe80::1%eth0',
    '::ffff:192.0.2.256',
    ':1::',
  ])('refuses IPv6 %s', (a) => expect(isIPv6(a)).toBe(false))

  const candidates = fc.oneof(
    fc.ipV4(),
    fc.ipV4Extended(),
    fc.ipV6(),
    fc.stringMatching(/^[0-9a-f:.]{0,45}$/),
    fc.string(),
  )

  it('agrees with node:net on generated addresses and near misses (zone ids aside)', () => {
    fc.assert(
      fc.property(candidates, (candidate) => {
        expect(isIPv4(candidate)).toBe(nodeIsIPv4(candidate))
        if (!candidate.includes('%')) expect(isIPv6(candidate)).toBe(nodeIsIPv6(candidate))
      }),
      { numRuns: 3000 },
    )
  })
})

describe('other formats', () => {
  it('normalises phone numbers to E.164 and refuses national ones', () => {
    expect(checkPhone('+36 (1) 234-5678')).toEqual({ ok: true, value: '+3612345678' })
    expect(checkPhone('06 1 234 5678').ok).toBe(false)
    expect(checkPhone('+0 123 456 789').ok).toBe(false)
  })

  it('takes ISO 3166-1 country codes and refuses old, reserved and non-country ones', () => {
    for (const code of ['HU', 'GB', 'DE', 'XK']) expect(checkCountry(code)).toEqual({ ok: true, value: code })
    // 'UK' is the United Kingdom to Intl, but not its ISO code: a roster or a follow-up knows it as GB
    expect(checkCountry('UK')).toMatchObject({ ok: false, reason: expect.stringContaining('GB') })
    expect(checkCountry('SU')).toMatchObject({ ok: false, reason: expect.stringContaining('RU') })
    for (const code of ['EU', 'UN', 'ZZ', 'XA', 'IC', 'hu', 'H1']) expect(checkCountry(code).ok).toBe(false)
  })

  it('takes IANA zone names and refuses bare offsets and unknown zones', () => {
    expect(checkTimeZone('Europe/Budapest')).toEqual({ ok: true, value: 'Europe/Budapest' })
    expect(checkTimeZone('UTC').ok).toBe(true)
    expect(checkTimeZone('+01:00').ok).toBe(false)
    expect(checkTimeZone('Mars/Olympus_Mons').ok).toBe(false)
    // Etc/GMT+1 is UTC-1, and knows no summer time: office hours given with it are wrong
    expect(checkTimeZone('Etc/GMT+1')).toEqual({
      ok: false,
      reason: expect.stringMatching(/reverse sign.*no summer time.*place's zone/),
    })
  })

  it('takes domain names (also internationalised) and refuses bare words and IPs', () => {
    expect(checkDomain('Example.ORG.')).toEqual({ ok: true, value: 'example.org' })
    expect(checkDomain('példa.hu').ok).toBe(true)
    expect(checkDomain('localhost').ok).toBe(false)
    expect(checkDomain('192.0.2.1').ok).toBe(false)
    expect(checkDomain('-bad-.org').ok).toBe(false)
  })

  it('takes URLs with a host and refuses relative ones', () => {
    expect(checkUrl('https://example.org/a?b=c').ok).toBe(true)
    expect(checkUrl('example.org/path').ok).toBe(false)
    expect(checkUrl('mailto:x@example.org').ok).toBe(false)
  })
})
