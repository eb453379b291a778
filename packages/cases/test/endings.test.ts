import { describe, expect, it } from 'vitest'
import {
  applyEvent,
  type Case,
  NOT_EXECUTED_REASONS,
  REFUSAL_GROUNDS,
  REQUEST_TYPES,
  type RefusalGround,
  type RequestType,
  replayCase,
} from '../src/index.ts'
import { eventFor, hoursAfter, openPreservation, refusal, run, type Step } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

const ACKNOWLEDGED: Step[] = [
  ['delivered', 'requested'],
  ['acknowledged', 'requested'],
]

/** An offence outside Arts 2-11, so that Art. 29(4) allows a dual-criminality refusal of a preservation. */
const DEFAMATION = { ...EXAMPLES.preservation, offence: { description: 'defamation' } }

function acknowledged(type: RequestType): Case {
  return run(openPreservation(type === 'preservation' ? DEFAMATION : EXAMPLES[type]), ACKNOWLEDGED)
}

/** The grounds each article allows, written out here rather than read from the table under test. */
const EXPECTED_GROUNDS: Record<
  Exclude<RequestType, 'spontaneous-information'>,
  [string, readonly RefusalGround[]]
> = {
  preservation: [
    'Art. 29(4)-(5)',
    ['political-offence', 'essential-interests', 'dual-criminality-reservation'],
  ],
  'traffic-data-disclosure': ['Art. 30(2)', ['political-offence', 'essential-interests']],
  'emergency-disclosure': ['SAP Art. 9', REFUSAL_GROUNDS],
  'evidence-collection': ['Art. 27(4)', REFUSAL_GROUNDS],
  'technical-advice': ['Art. 35', REFUSAL_GROUNDS],
  'legal-information': ['Art. 35', REFUSAL_GROUNDS],
  'locate-suspect': ['Art. 35', REFUSAL_GROUNDS],
  'emergency-assistance': ['SAP Art. 10(7)-(8), Art. 27(4)', REFUSAL_GROUNDS],
}

/** Art. 26 spontaneous information asks for nothing, so it takes no refusal at all (sap10-art26.test.ts). */
const REFUSABLE = REQUEST_TYPES.filter((t) => t !== 'spontaneous-information')

const GROUND_CASES = REFUSABLE.flatMap((type) =>
  REFUSAL_GROUNDS.map((ground) => {
    const [article, allowed] = EXPECTED_GROUNDS[type]
    return [article, ground, type, allowed.includes(ground) ? 'allowed' : 'refused'] as const
  }),
)

describe('refusal grounds per article', () => {
  it.each(GROUND_CASES)('%s: ground %s for %s is %s', (_article, ground, type, verdict) => {
    const allowed = verdict === 'allowed'
    const c = acknowledged(type)
    const refuse = () =>
      applyEvent(
        c,
        eventFor('refused', 'requested', c.seq + 1, hoursAfter(5), { ground, explanation: 'why' }),
      )
    if (allowed) expect(refuse().refusal).toMatchObject({ ground })
    else expect(refusal(refuse)).toMatch(type === 'preservation' ? 'Art. 29' : 'Art. 30(2)')
  })

  it('Art. 29(5): refuses ground other for preservation, naming the grounds the article lists', () => {
    const c = acknowledged('preservation')
    expect(
      refusal(() =>
        applyEvent(
          c,
          eventFor('refused', 'requested', 3, hoursAfter(5), { ground: 'other', explanation: 'busy' }),
        ),
      ),
    ).toContain(
      'Art. 29(4)-(5) lists the only grounds to refuse a preservation request: political-offence, essential-interests, dual-criminality-reservation; other is not one of them',
    )
  })

  it('Art. 29(5), Art. 30(2): a history recorded before the rule, refused on ground other, still replays', () => {
    for (const type of ['preservation', 'traffic-data-disclosure'] as const) {
      const opening = openPreservation(EXAMPLES[type])
      const events = [
        eventFor('delivered', 'requested', 1, hoursAfter(1)),
        eventFor('acknowledged', 'requested', 2, hoursAfter(2)),
        eventFor('refused', 'requested', 3, hoursAfter(3), { ground: 'other', explanation: 'old' }),
      ]
      const replay = replayCase(opening, events)
      expect(replay.rejected).toEqual([])
      expect(replay.case.refusal).toMatchObject({ ground: 'other' })
    }
  })
})

const REASON_ARTICLES: Record<(typeof NOT_EXECUTED_REASONS)[number], string> = {
  'data-not-held': 'Art. 29(6)',
  'data-already-deleted': 'Art. 29(6)',
  'provider-not-on-territory': 'Art. 29(1)',
  'identifiers-insufficient': 'Art. 29(2)(c)-(d)',
}

describe('not executed', () => {
  it.each(NOT_EXECUTED_REASONS.map((reason) => [REASON_ARTICLES[reason], reason] as const))(
    '%s: records the request as not executed for %s, an ending distinct from refusal',
    (_article, reason) => {
      const c = run(acknowledged('preservation'), [
        ['not-executed', 'requested', { reason, explanation: 'what was found' }],
      ])
      expect(c.status).toBe('not-executed')
      expect(c.notExecuted).toEqual({ reason, explanation: 'what was found', at: hoursAfter(3) })
      expect(c.refusal).toBeUndefined()
      expect(run(c, [['closed', 'requester']]).status).toBe('closed')
    },
  )

  it('Art. 29(6): only the requested side says a request could not be executed, and never after preserving', () => {
    const c = acknowledged('preservation')
    expect(refusal(() => applyEvent(c, eventFor('not-executed', 'requester', 3, hoursAfter(3))))).toContain(
      'only the requested side sends it',
    )
    const preserved = run(c, [['preserved', 'requested']])
    expect(
      refusal(() => applyEvent(preserved, eventFor('not-executed', 'requested', 4, hoursAfter(4)))),
    ).toContain('allowed only from')
  })

  it('Art. 29(6): refuses a reason outside the coded list, naming the codes', () => {
    const c = acknowledged('preservation')
    expect(() =>
      applyEvent(c, eventFor('not-executed', 'requested', 3, hoursAfter(3), { reason: 'busy' })),
    ).toThrow(`reason: is 'busy'; use one of: ${NOT_EXECUTED_REASONS.join(', ')}`)
  })
})
