import { describe, expect, it } from 'vitest'
import { auditPeriod } from '../src/commands/audit-period.ts'

describe('audit report --from/--to', () => {
  it('reads a date as the midnight starting it in the reader zone, a timestamp as written', () => {
    expect(auditPeriod({ from: '2026-11-01', to: '2026-12-01' }, 'Europe/Paris')).toEqual({
      from: '2026-10-31T23:00:00.000Z',
      to: '2026-11-30T23:00:00.000Z',
    })
    // the night summer time ends: midnight is still at +02:00
    expect(auditPeriod({ from: '2026-10-25' }, 'Europe/Paris')).toEqual({ from: '2026-10-24T22:00:00.000Z' })
    expect(auditPeriod({ to: '2026-11-28T14:00:00-05:00' }, 'UTC')).toEqual({
      to: '2026-11-28T19:00:00.000Z',
    })
    expect(auditPeriod({}, 'UTC')).toEqual({})
  })

  it.each([
    [{ from: '2026-13-01' }, /^--from 2026-13-01: is not a date or a timestamp with an offset$/],
    [{ to: '2026-11-28T14:00:00' }, /^--to 2026-11-28T14:00:00: is not a date/],
    [{ from: 'yesterday' }, /^--from yesterday: /],
    [{ from: '2026-12-01', to: '2026-11-01' }, /^--from 2026-12-01 is after --to 2026-11-01$/],
  ])('refuses %j naming the flag', (flags, message) => {
    expect(() => auditPeriod(flags, 'UTC')).toThrow(message)
  })
})
