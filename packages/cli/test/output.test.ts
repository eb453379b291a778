import { ControlCallError } from '@pocnet/node/client'
import { describe, expect, it } from 'vitest'
import { controlError } from '../src/context.ts'
import { Context, colourEnabled, formatDetail, formatTime } from '../src/index.ts'

describe('times are shown with their zone', () => {
  it('formats a UTC instant in the zone asked for, naming it', () => {
    const at = '2026-11-28T13:03:00Z'
    expect(formatTime(at, 'UTC')).toBe('2026-11-28 13:03 UTC')
    expect(formatTime(at, 'Europe/Paris')).toBe('2026-11-28 14:03 Europe/Paris')
    expect(formatTime(Date.parse(at), 'America/New_York')).toBe('2026-11-28 08:03 America/New_York')
    expect(formatTime(null, 'UTC')).toBe('-')
    expect(formatTime(at, 'Europe/Paris', { seconds: true })).toBe('2026-11-28 14:03:00 Europe/Paris')
  })
})

describe('colour', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream
  const pipe = { isTTY: false } as NodeJS.WriteStream
  it('only on a terminal, and never with NO_COLOR', () => {
    expect(colourEnabled(tty, {})).toBe(true)
    expect(colourEnabled(tty, { NO_COLOR: '1' })).toBe(false)
    expect(colourEnabled(tty, { NO_COLOR: '' })).toBe(false)
    expect(colourEnabled(pipe, {})).toBe(false)
  })
})

describe('context', () => {
  it('takes the data directory from --data-dir, else POCNET_HOME, else ~/.pocnet', () => {
    expect(new Context({ dataDir: '/srv/a' }, { POCNET_HOME: '/srv/b' }).dataDir).toBe('/srv/a')
    expect(new Context({}, { POCNET_HOME: '/srv/b' }).dataDir).toBe('/srv/b')
    expect(new Context({}, {}).dataDir).toMatch(/\/\.pocnet$/)
    expect(new Context({ dataDir: '/srv/a' }, {}).socketPath).toBe('/srv/a/control.sock')
  })

  it('shows times in --tz, else TZ, else the system zone; a --tz that is no zone is a usage error', () => {
    // commander stores --tz under `tz`: the zone used to be read from `timeZone`, so --tz did nothing
    expect(new Context({ tz: 'Asia/Tokyo' }, { TZ: 'Europe/Paris' }).zone).toBe('Asia/Tokyo')
    expect(new Context({}, { TZ: 'Europe/Paris' }).zone).toBe('Europe/Paris')
    expect(() => new Context({ tz: 'Bogus/Zone' }, {})).toThrow(
      expect.objectContaining({ exitCode: 2, message: '--tz Bogus/Zone is not a time zone' }),
    )
    expect(new Context({}, { TZ: 'Bogus/Zone' }).zone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
    // a bare offset is no IANA name (the directory and the forms refuse it too): it ignores summer time
    expect(() => new Context({ tz: '+01:00' }, {})).toThrow(expect.objectContaining({ exitCode: 2 }))
    // Etc/GMT-1 is UTC+1: a reader typing it for UTC-1 would see every time two hours off
    expect(() => new Context({ tz: 'Etc/GMT-1' }, {})).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/reverse sign/) }),
    )
  })

  it("lists a refusal's problems one a line, without repeating them all in the message", () => {
    const problems = [
      {
        path: 'thirdCountry',
        rule: 'format',
        message: "'UK' is not the ISO 3166 code of that country; write GB",
      },
      { path: 'identifiers[0].timestamp', rule: 'format', message: 'has no UTC offset' },
    ]
    const e = controlError(
      new ControlCallError(400, {
        code: 'ERR_INVALID_EVENT',
        message: `invalid case event: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        details: { problems },
      }),
    )
    expect(e).toMatchObject({
      message: 'invalid case event: 2 problems (400)',
      lines: [
        "  thirdCountry: 'UK' is not the ISO 3166 code of that country; write GB [format]",
        '  identifiers[0].timestamp: has no UTC offset [format]',
      ],
    })
  })

  it('takes the token from --token-file, else POCNET_TOKEN_FILE, else POCNET_TOKEN; none is an error with a hint', async () => {
    expect(await new Context({}, { POCNET_TOKEN: ' pn_abc \n' }).token()).toBe('pn_abc')
    await expect(
      new Context({ tokenFile: '/nonexistent/token' }, { POCNET_TOKEN: 'pn_abc' }).token(),
    ).rejects.toThrow(/cannot read token file \/nonexistent\/token/)
    await expect(new Context({}, { POCNET_TOKEN_FILE: '/nonexistent/t2' }).token()).rejects.toThrow(/t2/)
    await expect(new Context({}, {}).token()).rejects.toMatchObject({
      code: 'ERR_NO_TOKEN',
      hint: expect.stringContaining('POCNET_TOKEN'),
    })
  })
})

describe('formatDetail', () => {
  it("shows a ledger entry's times in the user's zone, to the second, and the rest as JSON", () => {
    const createdAt = Date.parse('2026-11-28T13:03:07.250Z')
    expect(formatDetail({ messageKind: 'case-request', createdAt, bytes: 2605 }, 'Europe/Paris')).toBe(
      '{"messageKind":"case-request","createdAt":"2026-11-28 14:03:07 Europe/Paris","bytes":2605}',
    )
    // only …At fields holding epoch milliseconds: other numbers, and text, stay as they are
    expect(formatDetail({ seq: 12, receivedAt: 'soon', path: '/ledger/entries' }, 'UTC')).toBe(
      '{"seq":12,"receivedAt":"soon","path":"/ledger/entries"}',
    )
  })
})
