import { describe, expect, it } from 'vitest'
import {
  alertSchedule,
  allowedMoves,
  applyEvent,
  type Case,
  type CaseEventKind,
  CLOCK_PRESETS,
  IllegalTransitionError,
  openCase,
  renderSummary,
  type Side,
  templateFor,
  validateRequest,
} from '../src/index.ts'
import { eventFor, hoursAfter, OPENED_AT } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

function open(type: 'emergency-assistance' | 'spontaneous-information'): Case {
  return openCase({
    caseId: 'c-1',
    requester: 'HU',
    requested: 'FR',
    openedAt: OPENED_AT,
    request: EXAMPLES[type],
  })
}

function step(c: Case, kind: CaseEventKind, side: Side): Case {
  return applyEvent(c, eventFor(kind, side, c.seq + 1, hoursAfter(c.seq + 1)))
}

describe('Second Protocol Art. 10 emergency mutual assistance form', () => {
  it('must be an emergency (Art. 10(1))', () => {
    const result = validateRequest({ ...EXAMPLES['emergency-assistance'], urgency: 'urgent' })
    expect(result.ok ? [] : result.problems).toContainEqual(
      expect.objectContaining({ path: 'urgency', message: expect.stringMatching(/Art\. 10/) }),
    )
  })

  it('requires the copy to the central authority (Art. 10(9))', () => {
    const { centralAuthorityCopy: _, ...without } = EXAMPLES['emergency-assistance']
    const result = validateRequest(without)
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(['centralAuthorityCopy'])
  })

  it('follows the main path to an answer', () => {
    let c = open('emergency-assistance')
    for (const kind of ['delivered', 'acknowledged', 'in-progress', 'answered'] as const)
      c = step(c, kind, 'requested')
    expect(c.status).toBe('answered')
  })

  it('names its articles in the summary and the template', () => {
    const summary = renderSummary(open('emergency-assistance').request)
    expect(summary).toMatch(/Second Additional Protocol Art\. 10/)
    expect(summary).toMatch(/Copy to the central authority \(Art\. 10\(9\)\)/)
    expect(templateFor('emergency-assistance')).toMatch(/urgency: emergency +# must be emergency/)
  })
})

describe('Convention Art. 26 spontaneous information', () => {
  it('is acknowledged, then closed by either side', () => {
    for (const closer of ['requester', 'requested'] as const) {
      let c = step(
        step(open('spontaneous-information'), 'delivered', 'requested'),
        'acknowledged',
        'requested',
      )
      expect(allowedMoves(c)).toEqual([
        { kind: 'withdrawn', side: 'requester' },
        { kind: 'closed', side: 'requester' },
        { kind: 'closed', side: 'requested' },
      ])
      c = step(c, 'closed', closer)
      expect(c.status).toBe('closed')
    }
  })

  it.each(['in-progress', 'answered', 'refused', 'information-requested'] as const)(
    'refuses %s: nothing was asked',
    (kind) => {
      const c = step(
        step(open('spontaneous-information'), 'delivered', 'requested'),
        'acknowledged',
        'requested',
      )
      expect(() => step(c, kind, 'requested')).toThrow(IllegalTransitionError)
      expect(() => step(c, kind, 'requested')).toThrow(/nothing was asked/)
    },
  )

  it('cannot be closed before it is acknowledged', () => {
    const c = step(open('spontaneous-information'), 'delivered', 'requested')
    expect(() => step(c, 'closed', 'requester')).toThrow(/allowed only from: acknowledged/)
  })

  it('has an acknowledgement clock and no answer clock', () => {
    const kinds = alertSchedule(open('spontaneous-information'), CLOCK_PRESETS['pocnet-default']).map(
      (a) => a.kind,
    )
    expect(kinds).toContain('acknowledgement-overdue')
    expect(kinds).not.toContain('answer-overdue')
  })

  it('names Art. 26(2) conditions in the summary', () => {
    expect(renderSummary(open('spontaneous-information').request)).toMatch(
      /Confidentiality and conditions of use \(Art\. 26\(2\)\)/,
    )
  })
})
