import { describe, expect, it } from 'vitest'
import {
  applyEvent,
  type CaseEventOf,
  CasesError,
  followUpPreservation,
  openCase,
  validateRequest,
} from '../src/index.ts'
import { eventFor, hoursAfter, openPreservation } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

function disclosed() {
  let c = openPreservation()
  for (const kind of ['delivered', 'acknowledged', 'in-progress'] as const) {
    c = applyEvent(c, eventFor(kind, 'requested', c.seq + 1, hoursAfter(c.seq + 1)))
  }
  const event = eventFor(
    'partially-disclosed',
    'requested',
    c.seq + 1,
    hoursAfter(5),
  ) as CaseEventOf<'partially-disclosed'>
  return { c: applyEvent(c, event), event }
}

describe('followUpPreservation', () => {
  it('pre-fills a valid preservation request to the third country, linked to the first case', () => {
    const { c, event } = disclosed()
    const followUp = followUpPreservation(c, event, '2026-11-28T19:00:00+01:00')
    expect(followUp.requested).toBe('DE')
    expect(validateRequest(followUp.request).ok).toBe(true)
    expect(followUp.request).toMatchObject({
      requestKind: 'new',
      caseReference: c.request.caseReference,
      requestingAuthority: c.request.requestingAuthority,
      custodian: { provider: 'Beispiel Hosting GmbH', country: 'DE' },
      relatedCases: [{ relation: 'follow-up-of', reference: c.request.caseReference, caseId: 'case-1' }],
      data: { identifiers: event.identifiers },
      mlaIntent: { intendsToSubmit: true },
    })
    expect(followUp.request.facts).toContain('Beispiel Hosting GmbH in DE took part')

    const second = openCase({
      caseId: 'case-2',
      requester: c.requester,
      requested: followUp.requested,
      openedAt: '2026-11-28T19:01:00+01:00',
      request: followUp.request,
    })
    expect(second.links).toEqual([
      { relation: 'follow-up-of', reference: c.request.caseReference, caseId: 'case-1' },
    ])
  })

  it('shortens long first facts, never the disclosure, so the draft is still a valid request', () => {
    let c = openPreservation({ ...EXAMPLES.preservation, facts: 'F'.repeat(9_000) })
    for (const kind of ['delivered', 'acknowledged', 'in-progress'] as const) {
      c = applyEvent(c, eventFor(kind, 'requested', c.seq + 1, hoursAfter(c.seq + 1)))
    }
    const trafficData = `relayed via 198.51.100.23 ${'T'.repeat(2_000)}`
    const event = eventFor('partially-disclosed', 'requested', c.seq + 1, hoursAfter(5), {
      trafficData,
    }) as CaseEventOf<'partially-disclosed'>
    const followUp = followUpPreservation(applyEvent(c, event), event, '2026-11-28T19:00:00+01:00')
    expect(validateRequest(followUp.request).ok).toBe(true)
    const facts = followUp.request.facts
    expect(facts.length).toBeLessThanOrEqual(10_000)
    expect(facts.endsWith(trafficData)).toBe(true)
    expect(facts).toContain('(shortened: the full facts are in case case-1)')
  })

  it('refuses an event that is not in the case', () => {
    const { c } = disclosed()
    const stranger = eventFor(
      'partially-disclosed',
      'requested',
      9,
      hoursAfter(9),
    ) as CaseEventOf<'partially-disclosed'>
    expect(() => followUpPreservation(c, stranger, '2026-11-28T19:00:00Z')).toThrow(CasesError)
  })

  it('refuses an issue time without offset', () => {
    const { c, event } = disclosed()
    expect(() => followUpPreservation(c, event, '2026-11-28T19:00:00')).toThrow('no UTC offset')
  })
})
