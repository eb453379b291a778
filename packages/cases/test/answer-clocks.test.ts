import { describe, expect, it } from 'vitest'
import {
  type Alert,
  alertSchedule,
  answerDueAt,
  applyEvent,
  type Case,
  type CaseEventKind,
  CLOCK_PRESETS,
  type ClockConfig,
  dueAlerts,
  NO_ANSWER_EXPECTED,
  openCase,
  REQUEST_TYPES,
  type RequestType,
  type Side,
  URGENCIES,
  type Urgency,
  validateClockConfig,
} from '../src/index.ts'
import { eventFor, hoursAfter, OPENED_AT } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

const MINUTE = 60_000
const DEFAULT = CLOCK_PRESETS['pocnet-default']
const EU = CLOCK_PRESETS['eu-e-evidence-style']

function open(type: RequestType, urgency: Urgency): Case {
  return openCase({
    caseId: `case-${type}-${urgency}`,
    requester: 'HU',
    requested: 'FR',
    openedAt: OPENED_AT,
    request: { ...EXAMPLES[type], urgency },
  })
}

function run(c: Case, steps: [CaseEventKind, Side, object?][]): Case {
  return steps.reduce(
    (acc, [kind, side, extra], i) =>
      applyEvent(acc, eventFor(kind, side, acc.seq + 1, hoursAfter(i + 1), extra)),
    c,
  )
}

const answerAlerts = (alerts: Alert[]) => alerts.filter((a) => a.kind === 'answer-overdue')

/** Second Protocol Arts 9 and 10 requests are only ever emergencies. */
const EMERGENCY_ONLY: readonly RequestType[] = ['emergency-disclosure', 'emergency-assistance']

/** The request types and urgencies a form allows. */
const CASES = REQUEST_TYPES.flatMap((type) =>
  URGENCIES.filter((u) => !EMERGENCY_ONLY.includes(type) || u === 'emergency').map(
    (urgency) => [type, urgency] as const,
  ),
).filter(([type]) => !NO_ANSWER_EXPECTED.has(type))

/** Minutes the default preset gives a type and urgency, written out so the test does not reuse the code. */
const DEFAULT_MINUTES: Record<Urgency, number> = {
  emergency: 24 * 60,
  urgent: 3 * 24 * 60,
  routine: 30 * 24 * 60,
}
const PRESERVATION_MINUTES: Record<Urgency, number> = {
  emergency: 4 * 60,
  urgent: 24 * 60,
  routine: 3 * 24 * 60,
}
const EU_MINUTES: Record<Urgency, number> = { emergency: 8 * 60, urgent: 24 * 60, routine: 10 * 24 * 60 }

describe('answer deadline per request type and urgency', () => {
  it.each(CASES)('pocnet-default: %s, %s', (type, urgency) => {
    const c = open(type, urgency)
    const minutes = (type === 'preservation' ? PRESERVATION_MINUTES : DEFAULT_MINUTES)[urgency]
    const due = Date.parse(OPENED_AT) + minutes * MINUTE
    expect(answerDueAt(c, DEFAULT.answerDeadlineMinutes)).toBe(new Date(due).toISOString())
    expect(answerAlerts(dueAlerts(c, new Date(due - MINUTE), DEFAULT))).toEqual([])
    expect(answerAlerts(dueAlerts(c, new Date(due), DEFAULT)).map((a) => a.side)).toEqual([
      'requested',
      'requester',
    ])
  })

  it.each(CASES)('eu-e-evidence-style (Regulation (EU) 2023/1543 Art. 10): %s, %s', (type, urgency) => {
    const c = open(type, urgency)
    const due = Date.parse(OPENED_AT) + EU_MINUTES[urgency] * MINUTE
    expect(answerDueAt(c, EU.answerDeadlineMinutes)).toBe(new Date(due).toISOString())
  })
})

describe('eu-e-evidence-style preset', () => {
  it('times the transmission of the data at 8 hours and 10 days, not the acknowledgement', () => {
    expect(EU.answerDeadlineMinutes.default.emergency).toBe(8 * 60)
    expect(EU.answerDeadlineMinutes.default.routine).toBe(10 * 24 * 60)
    expect(EU.acknowledgementDeadlineMinutes.emergency).toBeLessThan(8 * 60)
    expect(EU.acknowledgementDeadlineMinutes.routine).toBeLessThan(10 * 24 * 60)
  })

  it('says what it is modelled on and that it is configuration', () => {
    expect(EU.basis).toMatch(/Regulation \(EU\) 2023\/1543/)
    expect(EU.basis).toMatch(/Art\. 10/)
    expect(EU.basis).toMatch(/not a Budapest Convention deadline/)
  })
})

describe('answer clock', () => {
  it('counts from delivery once the delivery is recorded', () => {
    const c = run(open('technical-advice', 'urgent'), [['delivered', 'requested']])
    expect(answerDueAt(c, DEFAULT.answerDeadlineMinutes)).toBe(
      new Date(Date.parse(hoursAfter(1)) + DEFAULT_MINUTES.urgent * MINUTE).toISOString(),
    )
  })

  it('keeps running while the requested side asks for more information', () => {
    const c = run(open('technical-advice', 'urgent'), [
      ['delivered', 'requested'],
      ['acknowledged', 'requested'],
      ['information-requested', 'requested'],
    ])
    expect(answerAlerts(alertSchedule(c, DEFAULT))).toHaveLength(2)
  })

  it.each([
    ['answered', 'technical-advice'],
    ['refused', 'technical-advice'],
    ['preserved', 'preservation'],
    ['withdrawn', 'preservation'],
  ] as const)('stops once the case is %s', (kind, type) => {
    const base = run(open(type, 'urgent'), [
      ['delivered', 'requested'],
      ['acknowledged', 'requested'],
    ])
    const side: Side = kind === 'withdrawn' ? 'requester' : 'requested'
    const c = run(base, [[kind, side]])
    expect(answerDueAt(c, DEFAULT.answerDeadlineMinutes)).toBeUndefined()
    expect(answerAlerts(dueAlerts(c, new Date(hoursAfter(24 * 365)), DEFAULT))).toEqual([])
  })

  it('uses the default table when a configuration has none', () => {
    const { answerDeadlineMinutes: _, ...old } = DEFAULT
    const c = open('preservation', 'urgent')
    expect(answerDueAt(c, (old as ClockConfig).answerDeadlineMinutes)).toBe(
      answerDueAt(c, DEFAULT.answerDeadlineMinutes),
    )
  })
})

describe('validateClockConfig: answerDeadlineMinutes', () => {
  const { answerDeadlineMinutes: _, ...written } = DEFAULT

  it('accepts a configuration written before answer clocks, with the default table', () => {
    const result = validateClockConfig(written)
    expect(result).toEqual({
      ok: true,
      value: { ...written, answerDeadlineMinutes: DEFAULT.answerDeadlineMinutes },
    })
  })

  it('accepts a row per request type', () => {
    const table = {
      default: { emergency: 60, urgent: 120, routine: 240 },
      'legal-information': { emergency: 600, urgent: 1200, routine: 2400 },
    }
    const result = validateClockConfig({ ...written, answerDeadlineMinutes: table })
    expect(result.ok && result.value.answerDeadlineMinutes).toEqual(table)
  })

  it('names every bad field', () => {
    const result = validateClockConfig({
      ...written,
      answerDeadlineMinutes: {
        preservation: { emergency: 0, urgent: 60 },
        'mutual-help': { emergency: 60, urgent: 60, routine: 60 },
      },
    })
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([
      'answerDeadlineMinutes.mutual-help',
      'answerDeadlineMinutes.default',
    ])
    const rows = validateClockConfig({
      ...written,
      answerDeadlineMinutes: {
        default: { emergency: 60, urgent: 60, routine: 60 },
        preservation: { emergency: 0, urgent: 60 },
      },
    })
    expect(rows.ok ? [] : rows.problems.map((p) => p.path)).toEqual([
      'answerDeadlineMinutes.preservation.routine',
      'answerDeadlineMinutes.preservation.emergency',
    ])
  })
})
