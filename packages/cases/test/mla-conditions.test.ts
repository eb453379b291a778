import { describe, expect, it } from 'vitest'
import {
  alertSchedule,
  applyEvent,
  type Case,
  type CaseStatus,
  CLOCK_PRESETS,
  dataUsable,
  followUpPreservation,
  validateClockConfig,
  validateEvent,
  validateRequest,
} from '../src/index.ts'
import { eventFor, hoursAfter, openPreservation, refusal, run, type Step } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

const DAY_MS = 86_400_000
const config = CLOCK_PRESETS['pocnet-default']

const TO_PRESERVED: Step[] = [
  ['delivered', 'requested'],
  ['acknowledged', 'requested'],
  ['preserved', 'requested'],
]
const preserved = () => run(openPreservation(), TO_PRESERVED)
const kinds = (c: Case) => [...new Set(alertSchedule(c, config).map((a) => a.kind))].sort()

describe('the MLA handover (Art. 29(7))', () => {
  const MLA_STATES: [string, Step[], CaseStatus, string[]][] = [
    [
      'Art. 29(7): preserved, no MLA request yet: the expiry clock runs and warns of the missing MLA request',
      [],
      'preserved',
      ['mla-not-submitted', 'preservation-expired', 'preservation-expiring'],
    ],
    [
      'Art. 29(7): mla-submitted by the requester: the expiry clock still runs until receipt',
      [['mla-submitted', 'requester']],
      'mla-submitted',
      ['preservation-expired', 'preservation-expiring'],
    ],
    [
      'Art. 29(7): mla-received by the requested side: the expiry clock stops, MLA review reminders start',
      [
        ['mla-submitted', 'requester'],
        ['mla-received', 'requested'],
      ],
      'mla-received',
      ['mla-review-due'],
    ],
    [
      'Art. 29(7): mla-received without an mla-submitted: the receipt alone stops the clock',
      [['mla-received', 'requested']],
      'mla-received',
      ['mla-review-due'],
    ],
    [
      'Art. 29(7): mla-decided: the MLA phase ends, no more reminders, data held until released',
      [
        ['mla-received', 'requested'],
        ['mla-decided', 'requested'],
      ],
      'mla-decided',
      [],
    ],
  ]

  it.each(MLA_STATES)('%s', (_name, steps, status, alerts) => {
    const c = run(preserved(), steps)
    expect(c.status).toBe(status)
    expect(kinds(c)).toEqual(alerts)
  })

  it('Art. 29(7): records the central authority’s reference and the decision', () => {
    const c = run(preserved(), [
      ['mla-received', 'requested'],
      ['mla-decided', 'requested', { decision: 'refused', note: 'Not a criminal offence here' }],
    ])
    expect(c.mlaReceived).toEqual({
      authorityReference: 'MJ-FR-2026-0412',
      mlaReference: 'MLA-HU-FR-2026-31',
      at: hoursAfter(4),
    })
    expect(c.mlaDecision).toEqual({
      decision: 'refused',
      note: 'Not a criminal offence here',
      at: hoursAfter(5),
    })
  })

  it('Art. 29(7): reminds both sides to review a received MLA request at the configured interval', () => {
    const c = run(preserved(), [['mla-received', 'requested']])
    const every = (days: number) =>
      alertSchedule(c, { ...config, mlaReviewIntervalDays: days })
        .filter((a) => a.side === 'requested')
        .slice(0, 2)
        .map((a) => (Date.parse(a.dueAt) - Date.parse(hoursAfter(4))) / DAY_MS)
    expect(every(30)).toEqual([30, 60])
    expect(every(7)).toEqual([7, 14])
    const keys = alertSchedule(c, config).map((a) => a.key)
    expect(new Set(keys).size).toBe(keys.length)
    expect(validateClockConfig({ ...config, mlaReviewIntervalDays: 0 }).ok).toBe(false)
    expect(validateClockConfig({ ...config, mlaReviewIntervalDays: 14 })).toMatchObject({
      ok: true,
      value: { mlaReviewIntervalDays: 14 },
    })
  })

  it('Art. 29(7): only the requested side records the receipt and the decision, in that order', () => {
    const c = preserved()
    expect(refusal(() => applyEvent(c, eventFor('mla-received', 'requester', 4, hoursAfter(4))))).toContain(
      'only the requested side sends it',
    )
    expect(refusal(() => applyEvent(c, eventFor('mla-decided', 'requested', 4, hoursAfter(4))))).toContain(
      'it is allowed only from: mla-received',
    )
  })

  it('Art. 29(7): refuses a receipt after every preservation expired: there is nothing left to continue', () => {
    const c = preserved()
    const late = hoursAfter(3 + 91 * 24)
    expect(refusal(() => applyEvent(c, eventFor('mla-received', 'requested', 4, late)))).toContain(
      'send a new preservation request',
    )
  })

  it('Art. 29(7): refuses a decision outside granted and refused', () => {
    expect(
      validateEvent({ ...eventFor('mla-decided', 'requested', 4, hoursAfter(4)), decision: 'maybe' }).ok,
    ).toBe(false)
  })
})

const SUPPLIED = (c: Case) =>
  run(c, [
    ['delivered', 'requested'],
    ['acknowledged', 'requested'],
  ])

describe('conditions on use (SAP Art. 9(6)-(7), Art. 28(2)-(3))', () => {
  it('SAP Art. 9(6), Art. 28(2): data answered under conditions is not usable until they are accepted', () => {
    const c = run(SUPPLIED(openPreservation(EXAMPLES['emergency-disclosure'])), [
      ['conditions-stated', 'requested'],
      ['answered', 'requested'],
    ])
    expect(c.status).toBe('answered')
    expect(dataUsable(c)).toBe(false)
    const accepted = run(c, [['conditions-accepted', 'requester', { note: 'the prosecutor agrees' }]])
    expect(accepted.status).toBe('answered')
    expect(accepted.conditions).toMatchObject({
      conditions: ['Use only in investigation HU-2026-118'],
      basis: 'Art. 28(2)(b)',
      answer: { accepted: true, text: 'the prosecutor agrees' },
    })
    expect(dataUsable(accepted)).toBe(true)
  })

  it('SAP Art. 9(7)(a), Art. 28(3): declined conditions keep the data unusable until the requested side lifts them', () => {
    const declined = run(SUPPLIED(openPreservation(EXAMPLES['evidence-collection'])), [
      ['answered', 'requested'],
      ['conditions-stated', 'requested'],
      ['conditions-declined', 'requester'],
    ])
    expect(declined.conditions?.answer).toMatchObject({ accepted: false })
    expect(dataUsable(declined)).toBe(false)
    const lifted = run(declined, [['conditions-stated', 'requested', { conditions: [] }]])
    expect(dataUsable(lifted)).toBe(true)
  })

  it('SAP Art. 9(7)(a): only the requester answers, once, and only conditions that were stated', () => {
    const c = SUPPLIED(openPreservation(EXAMPLES['emergency-disclosure']))
    expect(
      refusal(() => applyEvent(c, eventFor('conditions-accepted', 'requester', 3, hoursAfter(3)))),
    ).toContain('no conditions on use await an answer')
    const stated = run(c, [['conditions-stated', 'requested']])
    expect(
      refusal(() => applyEvent(stated, eventFor('conditions-accepted', 'requested', 4, hoursAfter(4)))),
    ).toContain('only the requester side sends it')
    expect(
      refusal(() => applyEvent(stated, eventFor('conditions-stated', 'requested', 4, hoursAfter(4)))),
    ).toContain("the conditions stated earlier await the requester's answer")
    expect(
      refusal(() =>
        applyEvent(c, eventFor('conditions-stated', 'requested', 3, hoursAfter(3), { conditions: [] })),
      ),
    ).toContain('there are no conditions to lift')
  })

  it('SAP Art. 9(6): a statement must carry its list of conditions; a missing list is not a lift', () => {
    const { conditions: _, ...without } = eventFor('conditions-stated', 'requested', 3, hoursAfter(3)) as {
      conditions: unknown
    }
    const checked = validateEvent(without)
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.problems[0]).toMatchObject({ path: 'conditions', rule: 'required' })
  })

  it('Art. 28(3): accepted conditions are carried into the Art. 30 follow-up; pending ones block it', () => {
    const disclosed = run(SUPPLIED(openPreservation()), [
      ['partially-disclosed', 'requested'],
      ['conditions-stated', 'requested'],
    ])
    const disclosure = disclosed.history.find((e) => e.kind === 'partially-disclosed')!
    if (disclosure.kind !== 'partially-disclosed') throw new Error('no disclosure')
    expect(() => followUpPreservation(disclosed, disclosure, hoursAfter(9))).toThrow(
      'the conditions on use of case case-1 await your answer',
    )
    const accepted = run(disclosed, [['conditions-accepted', 'requester']])
    const followUp = followUpPreservation(accepted, disclosure, hoursAfter(9))
    expect(followUp.request.relatedCases).toEqual([
      {
        relation: 'follow-up-of',
        reference: EXAMPLES.preservation.caseReference,
        caseId: 'case-1',
        conditionsOnUse: ['Use only in investigation HU-2026-118'],
      },
    ])
    expect(validateRequest(followUp.request).ok).toBe(true)
  })
})
