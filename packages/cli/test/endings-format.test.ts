import { applyEvent, type Case, type CaseEvent, openCase } from '@pocnet/cases'
import { describe, expect, it } from 'vitest'
import { endingLines, preservedDays } from '../src/commands/cases/endings-format.ts'

const OPENED = '2026-11-28T13:00:00Z'
const at = (hours: number) => new Date(Date.parse(OPENED) + hours * 3_600_000).toISOString()

const FORM = {
  schema: 'pocnet/preservation/v1',
  issuedAt: OPENED,
  caseReference: 'IT-FMT-1',
  urgency: 'urgent',
  language: 'en',
  requestingAuthority: {
    name: 'Polizia Postale',
    officer: { name: 'Isp. Giulia Rossi' },
    phones: ['+39 06 0000 0001'],
    email: '247@it.example',
    officeHours: '24/7 desk',
    timeZone: 'Europe/Rome',
    preferredChannel: 'pocnet',
  },
  attachments: [],
  relatedCases: [],
  requestKind: 'new',
  offence: { description: 'Ransomware attack on a hospital' },
  facts: 'Servers encrypted; the note points to a VPS in France.',
  data: {
    description: 'Connection logs of the VPS',
    relationToOffence: 'The VPS ran the command-and-control server',
    identifiers: [{ type: 'ip', address: '192.0.2.44', timestamp: OPENED }],
  },
  custodian: { provider: 'Example Hosting SAS', country: 'FR' },
  necessity: 'The provider keeps logs for 7 days only.',
  mlaIntent: { intendsToSubmit: true },
}

/** Applies `steps` an hour apart, each as the next message of the case. */
function run(steps: ReadonlyArray<readonly [string, 'requester' | 'requested', object?]>): Case {
  let c = openCase({ caseId: 'c-1', requester: 'IT', requested: 'FR', openedAt: OPENED, request: FORM })
  for (const [kind, side, fields] of steps) {
    const seq = c.seq + 1
    c = applyEvent(c, { id: `m${seq}`, seq, at: at(seq), side, kind, ...fields } as CaseEvent)
  }
  return c
}

const preserve = (ref: string, hour: number, days: number, extra: object = {}) =>
  [
    'preserved',
    'requested',
    { providerReference: ref, grantedDays: days, expiresAt: at(hour + days * 24), ...extra },
  ] as const

describe('case show: how the case ends', () => {
  it('lists each custodian, released ones too, and the MLA handover', () => {
    const c = run([
      ['delivered', 'requested'],
      ['acknowledged', 'requested', { by: 'Marie Dupont' }],
      preserve('OVH-1', 3, 90, { provider: 'OVH', dataCategory: 'subscriber data' }),
      preserve('HZ-2', 4, 60),
      ['released', 'requester', { providerReference: 'HZ-2' }],
      ['mla-received', 'requested', { authorityReference: 'MJ-1' }],
    ])
    const lines = endingLines(c, 'UTC', at(7))
    expect(lines[0]).toBe(
      '  preserved    ref OVH-1 (OVH, subscriber data), 90 days, held until the MLA request is decided, then until released (Art. 29(7))',
    )
    expect(lines[1]).toBe('  preserved    ref HZ-2, 60 days, released 2026-11-28 18:00 UTC')
    expect(lines[2]).toBe('  MLA received MJ-1, 2026-11-28 19:00 UTC')
  })

  it('says the data is not usable while conditions on use await the requester (Art. 28(3))', () => {
    const conditions = { conditions: ['Use only in IT-FMT-1'], basis: 'Art. 28(2)(b)' }
    const answered = run([
      ['delivered', 'requested'],
      ['acknowledged', 'requested', { by: 'Marie Dupont' }],
      ['conditions-stated', 'requested', conditions],
      ['answered', 'requested', { summary: 'Logs', attachments: [] }],
    ])
    expect(endingLines(answered, 'UTC')).toEqual([
      '  conditions   awaiting the requester (Art. 28(2)(b)): Use only in IT-FMT-1',
      '  data usable  no: the conditions on use are not accepted',
    ])
    const accepted = applyEvent(answered, {
      id: 'm5',
      seq: 5,
      at: at(5),
      side: 'requester',
      kind: 'conditions-accepted',
    })
    expect(endingLines(accepted, 'UTC').at(-1)).toBe('  data usable  yes')
  })

  it('counts every period of a custodian', () => {
    expect(preservedDays([{ grantedDays: 90 }])).toBe('90 days')
    expect(preservedDays([{ grantedDays: 90 }, { grantedDays: 30 }])).toBe('90 + 30 days (extended once)')
  })
})
