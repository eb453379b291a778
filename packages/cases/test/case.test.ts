import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allowedMoves,
  applyEvent,
  CASE_STATUSES,
  type Case,
  type CaseEvent,
  type CaseEventKind,
  type CaseStatus,
  EVENT_KINDS,
  IllegalTransitionError,
  InvalidEventError,
  InvalidRequestError,
  isFinished,
  openCase,
  replayCase,
  SIDES,
  type Side,
  TRANSITIONS,
} from '../src/index.ts'
import { eventFor, eventOn, hoursAfter, OPENED_AT, openPreservation } from './fixtures/events.ts'
import { EXAMPLES } from './fixtures/examples.ts'

type Step = [CaseEventKind, Side, object?]

function run(c: Case, steps: Step[]): Case {
  return steps.reduce(
    (acc, [kind, side, extra], i) =>
      applyEvent(acc, eventFor(kind, side, acc.seq + 1, hoursAfter(i + 1), extra)),
    c,
  )
}

const TO_PRESERVED: Step[] = [
  ['delivered', 'requested'],
  ['acknowledged', 'requested'],
  ['in-progress', 'requested'],
  ['preserved', 'requested'],
]

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('openCase', () => {
  it('opens a sent case with the validated request and its links', () => {
    const request = {
      ...EXAMPLES.preservation,
      relatedCases: [{ relation: 'extension-of', reference: 'FR-1' }],
    }
    const c = openPreservation(request)
    expect(c).toMatchObject({
      status: 'sent',
      type: 'preservation',
      seq: 0,
      openedAt: '2026-11-28T13:10:00.000Z',
    })
    expect(c.links).toEqual([{ relation: 'extension-of', reference: 'FR-1' }])
  })

  it('refuses an invalid request, a bad country and a request to oneself, naming each', () => {
    const error = thrown(() =>
      openCase({
        caseId: 'c',
        requester: 'HU',
        requested: 'HU',
        openedAt: 'yesterday',
        request: { schema: 'x' },
      }),
    )
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect((error as InvalidRequestError).problems.map((p) => p.path)).toEqual([
      'schema',
      'requested',
      'openedAt',
    ])
  })
})

describe('applyEvent', () => {
  it('runs a preservation to closure, recording who, how long and until when', () => {
    const c = run(openPreservation(), [
      ...TO_PRESERVED,
      ['mla-submitted', 'requester'],
      ['released', 'requester'],
      ['closed', 'requester'],
    ])
    expect(c.status).toBe('closed')
    expect(c.acknowledgement).toMatchObject({ by: 'Marie Dupont' })
    // released before closing (Art. 29(7) keeps it otherwise): no custodian is preserved any more
    expect(c.preservation).toBeUndefined()
    expect(c.custodians[0]).toMatchObject({
      released: { at: hoursAfter(6) },
      providerReference: 'EXM-7781',
      current: { grantedDays: 90, grantedAt: hoursAfter(4), expiresAt: hoursAfter(4 + 90 * 24) },
    })
    expect(c.mla).toMatchObject({ reference: 'MLA-HU-FR-2026-31' })
    expect(c.history.map((e) => e.kind)).toEqual([
      'delivered',
      'acknowledged',
      'in-progress',
      'preserved',
      'mla-submitted',
      'released',
      'closed',
    ])
    expect(c.seq).toBe(7)
    expect(isFinished(c)).toBe(true)
  })

  it('stores the period actually granted, whatever it is', () => {
    const c = run(openPreservation(), [
      ['delivered', 'requested'],
      ['acknowledged', 'requested'],
      ['preserved', 'requested', { grantedDays: 120, expiresAt: hoursAfter(3 + 120 * 24) }],
    ])
    expect(c.preservation?.current).toMatchObject({ grantedDays: 120, expiresAt: hoursAfter(3 + 120 * 24) })
  })

  it('names the state, the event and what is allowed when the state forbids it', () => {
    const error = thrown(() =>
      applyEvent(openPreservation(), eventFor('preserved', 'requested', 1, hoursAfter(1))),
    )
    expect(error).toBeInstanceOf(IllegalTransitionError)
    const e = error as IllegalTransitionError
    expect(e).toMatchObject({ code: 'ERR_ILLEGAL_TRANSITION', status: 'sent', eventKind: 'preserved' })
    expect(e.allowed).toEqual([
      { kind: 'delivered', side: 'requested' },
      { kind: 'withdrawn', side: 'requester' },
    ])
    expect(e.message).toBe(
      "case case-1 is 'sent': 'preserved' from the requested side is not allowed " +
        '(it is allowed only from: acknowledged, in-progress, partially-disclosed, preserved). ' +
        'Allowed now: delivered (requested), withdrawn (requester)',
    )
  })

  it.each<[CaseEventKind, Side, Step[]]>([
    ['acknowledged', 'requester', [['delivered', 'requested']]],
    ['preserved', 'requester', TO_PRESERVED.slice(0, 3)],
    ['refused', 'requester', TO_PRESERVED.slice(0, 3)],
    ['withdrawn', 'requested', []],
    ['mla-submitted', 'requested', TO_PRESERVED],
    ['extension-requested', 'requested', TO_PRESERVED],
  ])('refuses %s from the %s side', (kind, side, before) => {
    const c = run(openPreservation(), before)
    const error = thrown(() => applyEvent(c, eventFor(kind, side, c.seq + 1, hoursAfter(10))))
    expect(error).toBeInstanceOf(IllegalTransitionError)
    expect((error as Error).message).toContain('side sends it')
  })

  it('refuses preservation on a request type that has none', () => {
    const c = run(
      openCase({
        caseId: 'l',
        requester: 'HU',
        requested: 'FR',
        openedAt: OPENED_AT,
        request: EXAMPLES['legal-information'],
      }),
      [
        ['delivered', 'requested'],
        ['acknowledged', 'requested'],
      ],
    )
    expect(() => applyEvent(c, eventFor('preserved', 'requested', 3, hoursAfter(3)))).toThrow(
      'it does not apply to a legal-information request',
    )
    expect(run(c, [['answered', 'requested']]).status).toBe('answered')
  })

  it.each<[CaseEventKind, object, string[]]>([
    ['acknowledged', { by: '' }, ['by']],
    ['preserved', { grantedDays: undefined, expiresAt: undefined }, ['grantedDays', 'expiresAt']],
    ['preserved', { grantedDays: 0 }, ['grantedDays']],
    ['preserved', { expiresAt: '2027-02-26T14:00:00' }, ['expiresAt']],
    ['preserved', { grantedDays: 30 }, ['expiresAt']],
    // 90 days granted, an expiry one hour away: the alerts would follow the hour
    ['preserved', { grantedDays: 90, expiresAt: hoursAfter(5) }, ['expiresAt']],
    ['refused', { ground: 'we are busy' }, ['ground']],
    ['partially-disclosed', { thirdCountry: 'Germany', identifiers: [] }, ['thirdCountry', 'identifiers']],
  ])('refuses %s carrying %j, naming the fields', (kind, extra, fields) => {
    const c = run(openPreservation(), TO_PRESERVED.slice(0, 3))
    const error = thrown(() => applyEvent(c, eventFor(kind, 'requested', 4, hoursAfter(4), extra)))
    expect(error).toBeInstanceOf(InvalidEventError)
    expect((error as InvalidEventError).problems.map((p) => p.path)).toEqual(fields)
  })

  it('refuses a dual-criminality refusal for an Arts 2-11 offence (Art. 29(4)), not for others', () => {
    const dual = { ground: 'dual-criminality-reservation', explanation: 'not an offence here' }
    const c = run(openPreservation(), TO_PRESERVED.slice(0, 3))
    expect(() => applyEvent(c, eventFor('refused', 'requested', 4, hoursAfter(4), dual))).toThrow(
      'Art. 29(4)',
    )
    const other = { ...EXAMPLES.preservation, offence: { description: 'defamation' } }
    const d = run(openPreservation(other), [...TO_PRESERVED.slice(0, 3), ['refused', 'requested', dual]])
    expect(d.refusal).toMatchObject({ ground: 'dual-criminality-reservation' })
  })

  it('refuses a dual-criminality refusal of a traffic-data disclosure (Art. 30(2)), whatever the offence', () => {
    const dual = { ground: 'dual-criminality-reservation', explanation: 'not an offence here' }
    const c = run(openPreservation(EXAMPLES['traffic-data-disclosure']), TO_PRESERVED.slice(0, 3))
    expect(() => applyEvent(c, eventFor('refused', 'requested', 4, hoursAfter(4), dual))).toThrow(
      'Art. 30(2)',
    )
    const interests = { ground: 'essential-interests', explanation: 'ordre public' }
    expect(run(c, [['refused', 'requested', interests]]).status).toBe('refused')
  })

  it('extends a preservation, keeping each period, and refuses an extension after expiry', () => {
    const preserved = run(openPreservation(), TO_PRESERVED)
    const expiresAt = hoursAfter(4 + 90 * 24)
    const extended = run(preserved, [
      ['extension-requested', 'requester'],
      ['extension-granted', 'requested', { grantedDays: 90, expiresAt: hoursAfter(6 + 90 * 24 * 2) }],
    ])
    expect(extended.status).toBe('preserved')
    expect(extended.pendingExtension).toBeUndefined()
    expect(extended.preservation?.periods.map((p) => p.expiresAt)).toEqual([
      expiresAt,
      hoursAfter(6 + 90 * 24 * 2),
    ])
    const shorter = run(preserved, [['extension-requested', 'requester']])
    const backwards = eventFor('extension-granted', 'requested', 6, hoursAfter(6), {
      expiresAt: hoursAfter(100),
    })
    expect(() => applyEvent(shorter, backwards)).toThrow(InvalidEventError)
    const late = eventFor('extension-requested', 'requester', 5, expiresAt)
    expect(() => applyEvent(preserved, late)).toThrow('send a new preservation request')
    // nor can an MLA request keep an expired preservation going (Art. 29(7)): it would stop the alerts
    const lateMla = eventFor('mla-submitted', 'requester', 5, expiresAt)
    expect(() => applyEvent(preserved, lateMla)).toThrow('send a new preservation request')
    expect(applyEvent(preserved, eventFor('mla-submitted', 'requester', 5, hoursAfter(5))).status).toBe(
      'mla-submitted',
    )
  })

  it('records an Art. 30 disclosure for each third country on the path, one after another', () => {
    const second = {
      thirdCountry: 'NL',
      thirdCountryProvider: 'Voorbeeld VPN B.V.',
      trafficData: 'The session to Beispiel Hosting came from a Voorbeeld VPN exit node',
      identifiers: [{ type: 'ip', address: '192.0.2.77', timestamp: '2026-11-27T22:40:58Z' }],
    }
    const traffic = openCase({
      caseId: 't',
      requester: 'HU',
      requested: 'FR',
      openedAt: OPENED_AT,
      request: EXAMPLES['traffic-data-disclosure'],
    })
    for (const opening of [openPreservation(), traffic]) {
      const c = run(opening, [
        ...TO_PRESERVED.slice(0, 3),
        ['partially-disclosed', 'requested'],
        ['partially-disclosed', 'requested', second],
      ])
      expect(c.status).toBe('partially-disclosed')
      expect(c.disclosures.map((d) => d.thirdCountry)).toEqual(['DE', 'NL'])
    }
  })

  it('lets the requester decide after an Art. 29(6) notice', () => {
    const noticed = run(openPreservation(), [
      ...TO_PRESERVED.slice(0, 2),
      ['limitation-notified', 'requested'],
    ])
    expect(noticed.status).toBe('limitation-notified')
    expect(run(noticed, [['proceed-confirmed', 'requester']]).status).toBe('in-progress')
    expect(run(noticed, [['withdrawn', 'requester']]).status).toBe('withdrawn')
  })

  it('refuses the same message twice', () => {
    const c = openPreservation()
    const receipt = eventFor('delivered', 'requested', 1, hoursAfter(1))
    const once = applyEvent(c, receipt)
    expect(() => applyEvent(once, receipt)).toThrow(IllegalTransitionError)
  })
})

/** Every status reachable from a fresh preservation case, with one case in it. */
function reachable(): Map<CaseStatus, Case> {
  const found = new Map<CaseStatus, Case>([['sent', openPreservation()]])
  const queue = [...found.values()]
  while (queue.length > 0) {
    const c = queue.shift()!
    for (const { kind, side } of allowedMoves(c)) {
      const next = applyEvent(c, eventOn(c, kind, side, c.seq + 1, hoursAfter(c.seq + 1)))
      if (!found.has(next.status)) {
        found.set(next.status, next)
        queue.push(next)
      }
    }
  }
  return found
}

describe('the transition table', () => {
  const states = reachable()

  it('reaches every status', () => {
    expect([...states.keys()].sort()).toEqual([...CASE_STATUSES].sort())
  })

  it('applies exactly the moves the table allows, for each status, event and side', () => {
    for (const [status, c] of states) {
      for (const kind of EVENT_KINDS) {
        for (const side of SIDES) {
          const t = TRANSITIONS[kind]
          const expected =
            t.from.includes(status) && (t.side === 'either' || t.side === side) && guardsPass(c, kind)
          let applied: boolean
          try {
            applyEvent(c, eventOn(c, kind, side, c.seq + 1, hoursAfter(c.seq + 1)))
            applied = true
          } catch (error) {
            if (!(error instanceof IllegalTransitionError)) throw error
            applied = false
          }
          expect({ status, kind, side, applied }).toEqual({ status, kind, side, applied: expected })
        }
      }
    }
  })

  it('allows nothing once withdrawn or closed', () => {
    expect(allowedMoves(states.get('withdrawn')!)).toEqual([])
    expect(allowedMoves(states.get('closed')!)).toEqual([])
  })
})

/**
 * The guards reachable in the table test: extending, following up, MLA receipt and release need
 * something preserved; closing needs nothing preserved (Art. 29(7)); a conditions answer needs
 * conditions pending, a new statement none pending (SAP Art. 9(7), Art. 28(3)).
 */
function guardsPass(c: Case, kind: CaseEventKind): boolean {
  const pending = c.conditions !== undefined && c.conditions.answer === undefined
  switch (kind) {
    case 'extension-requested':
    case 'mla-submitted':
    case 'mla-received':
    case 'released':
      return c.preservation !== undefined
    case 'closed':
      return c.custodians.every((k) => k.released !== undefined)
    case 'conditions-stated':
      return !pending
    case 'conditions-accepted':
    case 'conditions-declined':
      return pending
    default:
      return true
  }
}

/** What must hold of any case the machine produces. */
function checkInvariants(c: Case): void {
  expect(CASE_STATUSES).toContain(c.status)
  // something was preserved, and the preservation in force is there unless every custodian was released
  if (
    ['preserved', 'extension-requested', 'mla-submitted', 'mla-received', 'mla-decided'].includes(c.status)
  ) {
    expect(c.custodians.length).toBeGreaterThan(0)
    expect(c.preservation !== undefined || c.custodians.every((k) => k.released !== undefined)).toBe(true)
  }
  if (c.status === 'mla-received') expect(c.mlaReceived).toBeDefined()
  if (c.status === 'mla-decided') expect(c.mlaDecision).toBeDefined()
  if (c.status === 'not-executed') expect(c.notExecuted).toBeDefined()
  expect(c.status === 'extension-requested').toBe(c.pendingExtension !== undefined)
  if (c.status === 'mla-submitted') expect(c.mla).toBeDefined()
  if (c.status === 'refused') expect(c.refusal).toBeDefined()
  if (!['sent', 'delivered', 'withdrawn'].includes(c.status)) expect(c.acknowledgement).toBeDefined()
  expect(c.seq).toBe(Math.max(0, ...c.history.map((e) => e.seq)))
}

const anyEvent = fc.record({
  kind: fc.constantFrom(...EVENT_KINDS),
  side: fc.constantFrom(...SIDES),
  hours: fc.integer({ min: 0, max: 24 * 200 }),
})

describe('properties', () => {
  it('no sequence of messages leads out of the table or breaks an invariant', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 40 }), (events) => {
        let c = openPreservation()
        for (const { kind, side, hours } of events) {
          const before = c
          try {
            c = applyEvent(c, eventOn(c, kind, side, c.seq + 1, hoursAfter(hours)))
          } catch (error) {
            if (!(error instanceof IllegalTransitionError)) throw error
            continue
          }
          const t = TRANSITIONS[kind]
          expect(t.from).toContain(before.status)
          expect(c.status).toBe(t.to ?? before.status)
          expect(isFinished(before)).toBe(false)
          checkInvariants(c)
        }
      }),
      { numRuns: 300 },
    )
  })

  /**
   * Two nodes act on their own view (the replay of the messages they hold), send each message to
   * the other, and the network delivers in any order. Afterwards both hold the same messages and
   * must compute the same case.
   */
  function simulate(schedule: { act: boolean; pick: number; side: Side }[]): Record<Side, Case[]> {
    const opening = openPreservation()
    const held: Record<Side, CaseEvent[]> = { requester: [], requested: [] }
    const inFlight: Record<Side, CaseEvent[]> = { requester: [], requested: [] }
    const views: Record<Side, Case[]> = { requester: [], requested: [] }
    let hour = 0
    for (const { act, pick, side } of schedule) {
      const other: Side = side === 'requester' ? 'requested' : 'requester'
      if (act) {
        const view = replayCase(opening, held[side]).case
        const moves = allowedMoves(view, side)
        if (moves.length === 0) continue
        const { kind } = moves[pick % moves.length]!
        hour += 1
        const event = eventOn(view, kind, side, view.seq + 1, hoursAfter(hour))
        applyEvent(view, event)
        held[side].push(event)
        inFlight[other].push(event)
      } else if (inFlight[side].length > 0) {
        held[side].push(...inFlight[side].splice(pick % inFlight[side].length, 1))
      }
    }
    for (const side of SIDES) {
      held[side].push(...inFlight[side].splice(0))
      const replay = replayCase(opening, held[side])
      views[side].push(replay.case)
    }
    return views
  }

  const schedule = fc.array(
    fc.record({ act: fc.boolean(), pick: fc.nat(), side: fc.constantFrom<Side>('requester', 'requested') }),
    { maxLength: 60 },
  )

  it('both sides compute the same case from the same messages, delivered in any order', () => {
    fc.assert(
      fc.property(schedule, (steps) => {
        const views = simulate(steps)
        expect(views.requester[0]).toEqual(views.requested[0])
        checkInvariants(views.requester[0]!)
      }),
      { numRuns: 300 },
    )
  })

  it('replays messages in their causal order whatever order they arrive in, rejecting none', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1 }),
        (picks, shuffle) => {
          // One message at a time, each sent from a view that has seen all before it.
          let c = openPreservation()
          const sent: CaseEvent[] = []
          for (const pick of picks) {
            const moves = allowedMoves(c)
            if (moves.length === 0) break
            const { kind, side } = moves[pick % moves.length]!
            const event = eventOn(c, kind, side, c.seq + 1, hoursAfter(c.seq + 1))
            c = applyEvent(c, event)
            sent.push(event)
          }
          const arrived = [...sent].sort(
            (a, b) => (shuffle[a.seq % shuffle.length]! % 7) - (shuffle[b.seq % shuffle.length]! % 7),
          )
          const replay = replayCase(openPreservation(), arrived)
          expect(replay.rejected).toEqual([])
          expect(replay.case).toEqual(c)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('ranks a message that crossed a withdrawal after it on both sides, as rejected', () => {
    const opening = openPreservation()
    const before = [
      eventFor('delivered', 'requested', 1, hoursAfter(1)),
      eventFor('acknowledged', 'requested', 2, hoursAfter(2)),
      eventFor('in-progress', 'requested', 3, hoursAfter(3)),
    ]
    const withdrawn = eventFor('withdrawn', 'requester', 4, hoursAfter(4))
    const preserved = eventFor('preserved', 'requested', 4, hoursAfter(5))
    for (const order of [
      [...before, withdrawn, preserved],
      [preserved, ...before.reverse(), withdrawn],
    ]) {
      const replay = replayCase(opening, order)
      expect(replay.case.status).toBe('withdrawn')
      expect(replay.rejected.map((r) => r.event.id)).toEqual([preserved.id])
    }
  })
})
