import { describe, expect, it } from 'vitest'
import {
  type Alert,
  alertSchedule,
  applyEvent,
  type Case,
  type CaseEventKind,
  CLOCK_PRESETS,
  dueAlerts,
  nextAlertAt,
  type Side,
  validateClockConfig,
} from '../src/index.ts'
import { eventFor, hoursAfter, OPENED_AT, openPreservation } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

const config = CLOCK_PRESETS['pocnet-default']
const at = (hours: number) => new Date(hoursAfter(hours))

function run(c: Case, steps: [CaseEventKind, Side, object?][]): Case {
  return steps.reduce(
    (acc, [kind, side, extra], i) =>
      applyEvent(acc, eventFor(kind, side, acc.seq + 1, hoursAfter(i + 1), extra)),
    c,
  )
}

const summary = (alerts: Alert[]) =>
  alerts.map((a) => `${a.kind}${a.leadHours === undefined ? '' : `@${a.leadHours}h`}/${a.side}`)

/** Preserved at hour 4 for 90 days: expiry at hour 4 + 2160. */
const preserved = () =>
  run(openPreservation(), [
    ['delivered', 'requested'],
    ['acknowledged', 'requested'],
    ['in-progress', 'requested'],
    ['preserved', 'requested'],
  ])
const EXPIRY_H = 4 + 90 * 24

describe('acknowledgement deadline', () => {
  it('falls due by urgency on both sides, and not a minute early', () => {
    const c = openPreservation() // urgent: 4 h in the default preset
    expect(dueAlerts(c, new Date(Date.parse(OPENED_AT) + 4 * 3_600_000 - 60_000), config)).toEqual([])
    expect(summary(dueAlerts(c, at(4), config))).toEqual([
      'acknowledgement-overdue/requested',
      'acknowledgement-overdue/requester',
    ])
    const emergency = openPreservation({ ...EXAMPLES.preservation, urgency: 'emergency' })
    expect(dueAlerts(emergency, at(1), config)).toHaveLength(2)
  })

  it('stops once a person acknowledges', () => {
    const c = run(openPreservation(), [
      ['delivered', 'requested'],
      ['acknowledged', 'requested'],
    ])
    const ack = (alerts: Alert[]) => alerts.filter((a) => a.kind === 'acknowledgement-overdue')
    expect(ack(dueAlerts(c, at(100), config))).toEqual([])
  })
})

describe('preservation expiry', () => {
  it('reminds both sides at each lead time, warns about the missing MLA request, then marks expiry', () => {
    const c = preserved()
    expect(dueAlerts(c, at(EXPIRY_H - 21 * 24 - 1), config)).toEqual([])
    expect(summary(dueAlerts(c, at(EXPIRY_H - 21 * 24), config))).toEqual([
      'mla-not-submitted@504h/requested',
      'mla-not-submitted@504h/requester',
    ])
    expect(summary(dueAlerts(c, at(EXPIRY_H - 7 * 24), config))).toEqual([
      'mla-not-submitted@504h/requested',
      'mla-not-submitted@504h/requester',
      'preservation-expiring@336h/requested',
      'preservation-expiring@336h/requester',
      'preservation-expiring@168h/requested',
      'preservation-expiring@168h/requester',
    ])
    const all = dueAlerts(c, at(EXPIRY_H), config)
    expect(summary(all).slice(-2)).toEqual([
      'preservation-expired/requested',
      'preservation-expired/requester',
    ])
    expect(all.at(-1)).toMatchObject({
      dueAt: hoursAfter(EXPIRY_H),
      expiresAt: hoursAfter(EXPIRY_H),
      caseId: 'case-1',
    })
  })

  it('gives each alert a stable key, and new keys once an extension moves the expiry', () => {
    const c = preserved()
    const before = dueAlerts(c, at(EXPIRY_H), config).map((a) => a.key)
    expect(dueAlerts(c, at(EXPIRY_H), config).map((a) => a.key)).toEqual(before)
    expect(new Set(before).size).toBe(before.length)
    const extended = run(c, [
      ['extension-requested', 'requester'],
      ['extension-granted', 'requested', { grantedDays: 90, expiresAt: hoursAfter(EXPIRY_H + 90 * 24) }],
    ])
    const after = dueAlerts(extended, at(EXPIRY_H + 90 * 24), config).map((a) => a.key)
    expect(after.filter((k) => before.includes(k))).toEqual([])
    expect(
      dueAlerts(extended, at(EXPIRY_H), config).filter((a) => a.kind === 'preservation-expired'),
    ).toEqual([])
  })

  it('warns when an extension request goes unanswered', () => {
    const c = run(preserved(), [['extension-requested', 'requester']])
    expect(nextAlertAt(c, at(1), config)).toBe(hoursAfter(1 + 48))
    expect(summary(dueAlerts(c, at(1 + 48), config))).toEqual([
      'extension-unanswered/requested',
      'extension-unanswered/requester',
    ])
  })

  it('Art. 29(7): keeps the expiry clock when the MLA request is only submitted, stops it at its receipt', () => {
    const submitted = run(preserved(), [['mla-submitted', 'requester']])
    expect(summary(alertSchedule(submitted, config))).toEqual([
      'preservation-expiring@336h/requested',
      'preservation-expiring@336h/requester',
      'preservation-expiring@168h/requested',
      'preservation-expiring@168h/requester',
      'preservation-expiring@48h/requested',
      'preservation-expiring@48h/requester',
      'preservation-expired/requested',
      'preservation-expired/requester',
    ])
    const received = applyEvent(
      submitted,
      eventFor('mla-received', 'requested', submitted.seq + 1, hoursAfter(6)),
    )
    expect(alertSchedule(received, config).filter((a) => a.kind.startsWith('preservation-'))).toEqual([])
  })

  it('skips reminders longer than a short period, but still warns about the MLA request at once', () => {
    const c = run(openPreservation(), [
      ['delivered', 'requested'],
      ['acknowledged', 'requested'],
      ['preserved', 'requested', { grantedDays: 10, expiresAt: hoursAfter(3 + 240) }],
    ])
    expect(summary(alertSchedule(c, config).filter((a) => a.side === 'requester'))).toEqual([
      'mla-not-submitted@504h/requester',
      'preservation-expiring@168h/requester',
      'preservation-expiring@48h/requester',
      'preservation-expired/requester',
    ])
    expect(alertSchedule(c, config)[0]?.dueAt).toBe(hoursAfter(3))
  })

  it('gives the next due time for the node’s timer', () => {
    const c = preserved()
    expect(nextAlertAt(c, at(10), config)).toBe(hoursAfter(EXPIRY_H - 21 * 24))
    expect(nextAlertAt(c, at(EXPIRY_H), config)).toBeUndefined()
  })
})

describe('validateClockConfig', () => {
  it('accepts the presets, which say they are configuration and not law', () => {
    for (const preset of Object.values(CLOCK_PRESETS)) {
      expect(validateClockConfig(preset)).toEqual({ ok: true, value: preset })
      expect(preset.basis).toMatch(/not (a legal deadline|a Budapest Convention deadline)/)
    }
  })

  it('names every bad field', () => {
    const result = validateClockConfig({
      basis: '',
      acknowledgementDeadlineMinutes: { emergency: 0, urgent: 60 },
      expiryReminderLeadHours: [24, -1],
      mlaWarningLeadHours: 'soon',
      extensionAnswerDeadlineHours: 48,
    })
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([
      'basis',
      'acknowledgementDeadlineMinutes.routine',
      'acknowledgementDeadlineMinutes.emergency',
      'expiryReminderLeadHours[1]',
      'mlaWarningLeadHours',
    ])
  })
})
