import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  alertSchedule,
  applyEvent,
  type Case,
  CLOCK_PRESETS,
  IllegalTransitionError,
  isHeld,
  releasedByWithdrawal,
  replayCase,
} from '../src/index.ts'
import { eventFor, hoursAfter, openPreservation, refusal, run } from './fixtures/events.ts'

const DAY_H = 24
const config = CLOCK_PRESETS['pocnet-default']

/** A `preserved` at `hour` for `days`, for custodian `ref`. */
function preservedAt(ref: string, hour: number, days: number, extra: object = {}): object {
  return {
    providerReference: ref,
    grantedDays: days,
    expiresAt: hoursAfter(hour + days * DAY_H),
    ...extra,
  }
}

/** Two custodians: OVH-1 preserved at hour 3 for 90 days, HZ-2 at hour 4 for 60 days. */
function twoCustodians(): Case {
  return run(openPreservation(), [
    ['delivered', 'requested'],
    ['acknowledged', 'requested'],
    [
      'preserved',
      'requested',
      preservedAt('OVH-1', 3, 90, { provider: 'OVH', dataCategory: 'subscriber data' }),
    ],
    [
      'preserved',
      'requested',
      preservedAt('HZ-2', 4, 60, {
        provider: 'Hetzner',
        dataFrom: '2026-11-27T00:00:00Z',
        dataTo: '2026-11-28T00:00:00Z',
      }),
    ],
  ])
}

describe('preservation per custodian (Art. 29(2)(d), (3))', () => {
  it('Art. 29(3): a second preserved adds another custodian’s record instead of replacing the first', () => {
    const c = twoCustodians()
    expect(c.status).toBe('preserved')
    expect(c.custodians).toHaveLength(2)
    expect(c.custodians[0]).toMatchObject({
      providerReference: 'OVH-1',
      provider: 'OVH',
      dataCategory: 'subscriber data',
      current: { grantedDays: 90, expiresAt: hoursAfter(3 + 90 * DAY_H) },
    })
    expect(c.custodians[1]).toMatchObject({
      providerReference: 'HZ-2',
      provider: 'Hetzner',
      dataFrom: '2026-11-27T00:00:00.000Z',
      dataTo: '2026-11-28T00:00:00.000Z',
    })
    // the preservation in force is the one that ends first
    expect(c.preservation?.providerReference).toBe('HZ-2')
  })

  it('Art. 29(2)(d): refuses a second record under the same provider reference, naming the extend command', () => {
    const c = twoCustodians()
    expect(
      refusal(() =>
        applyEvent(
          c,
          eventFor('preserved', 'requested', c.seq + 1, hoursAfter(6), preservedAt('OVH-1', 6, 30)),
        ),
      ),
    ).toContain(
      'custodian OVH-1 is already preserved: extend it with `pocnet case extend case-1 --provider-ref OVH-1`',
    )
  })

  it('Art. 29(2)(c): refuses a data time range that runs backwards', () => {
    const c = twoCustodians()
    const backwards = preservedAt('X-3', 6, 30, {
      dataFrom: '2026-11-28T00:00:00Z',
      dataTo: '2026-11-27T00:00:00Z',
    })
    expect(() =>
      applyEvent(c, eventFor('preserved', 'requested', c.seq + 1, hoursAfter(6), backwards)),
    ).toThrow('dataTo')
  })

  it('Art. 29(7): extends one custodian, named when several are preserved, leaving the other as it was', () => {
    const c = twoCustodians()
    expect(
      refusal(() => applyEvent(c, eventFor('extension-requested', 'requester', c.seq + 1, hoursAfter(6)))),
    ).toContain('several custodians are preserved: name one with --provider-ref (HZ-2, OVH-1)')
    const extended = run(c, [
      ['extension-requested', 'requester', { providerReference: 'HZ-2' }],
      ['extension-granted', 'requested', { grantedDays: 30, expiresAt: hoursAfter(4 + 90 * DAY_H) }],
    ])
    expect(extended.custodians[1]?.periods.map((p) => p.grantedDays)).toEqual([60, 30])
    expect(extended.custodians[0]?.periods.map((p) => p.grantedDays)).toEqual([90])
  })

  it('Art. 29(7): release by the requester, per custodian or all; the requested side cannot release', () => {
    const c = twoCustodians()
    expect(
      refusal(() => applyEvent(c, eventFor('released', 'requested', c.seq + 1, hoursAfter(6)))),
    ).toContain('only the requester side sends it')
    const one = run(c, [['released', 'requester', { providerReference: 'HZ-2', reason: 'not needed' }]])
    expect(one.status).toBe('preserved')
    expect(one.custodians[1]?.released).toEqual({ at: hoursAfter(one.seq), reason: 'not needed' })
    expect(one.preservation?.providerReference).toBe('OVH-1')
    expect(
      refusal(() =>
        applyEvent(
          one,
          eventFor('released', 'requester', one.seq + 1, hoursAfter(9), { providerReference: 'HZ-2' }),
        ),
      ),
    ).toContain('no custodian with provider reference HZ-2 is preserved (preserved: OVH-1)')
    const all = run(one, [['released', 'requester']])
    expect(all.custodians.every((k) => k.released !== undefined)).toBe(true)
    expect(all.preservation).toBeUndefined()
  })

  it('Art. 29(7): alerts each custodian’s expiry under keys of its own, none for a released custodian', () => {
    const c = twoCustodians()
    const expired = alertSchedule(c, config).filter(
      (a) => a.kind === 'preservation-expired' && a.side === 'requester',
    )
    // the earliest expiry first; the first custodian keeps the key it had before custodian records
    expect(expired.map((a) => a.key)).toEqual([
      `case-1/preservation-expired/custodian-2/${hoursAfter(4 + 60 * DAY_H)}/requester`,
      `case-1/preservation-expired/${hoursAfter(3 + 90 * DAY_H)}/requester`,
    ])
    const released = run(c, [['released', 'requester', { providerReference: 'HZ-2' }]])
    expect(alertSchedule(released, config).filter((a) => a.key.includes('custodian-2'))).toEqual([])
  })

  it('Art. 29(7): refuses to close while a custodian’s data is preserved, naming it and the release command', () => {
    const c = twoCustodians()
    for (const side of ['requester', 'requested'] as const)
      expect(refusal(() => applyEvent(c, eventFor('closed', side, c.seq + 1, hoursAfter(6))))).toContain(
        'data is still preserved for custodian OVH-1 (OVH, until 2027-02-26T16:10:00.000Z), HZ-2 (Hetzner, until 2027-01-27T17:10:00.000Z); the requester releases it first with `pocnet case release case-1 --all`',
      )
    const halfReleased = run(c, [['released', 'requester', { providerReference: 'OVH-1' }]])
    expect(
      refusal(() => applyEvent(halfReleased, eventFor('closed', 'requested', 7, hoursAfter(7)))),
    ).toContain('`pocnet case release case-1 --provider-ref HZ-2`')
    expect(
      run(halfReleased, [
        ['released', 'requester'],
        ['closed', 'requested'],
      ]).status,
    ).toBe('closed')
  })

  it('Art. 29(7): allows closing once every custodian’s period has expired without an MLA request', () => {
    const c = twoCustodians()
    const after = applyEvent(c, eventFor('closed', 'requested', c.seq + 1, hoursAfter(4 + 91 * DAY_H)))
    expect(after.status).toBe('closed')
  })

  it('Art. 29(7): after the MLA request is received, expiry no longer frees the data: only a release does', () => {
    const c = run(twoCustodians(), [['mla-received', 'requested']])
    expect(isHeld(c.custodians[0]!, hoursAfter(10_000), c.mlaReceived?.at)).toBe(true)
    expect(
      refusal(() => applyEvent(c, eventFor('closed', 'requested', c.seq + 1, hoursAfter(10_000)))),
    ).toContain('data is still preserved')
  })

  it('Art. 29(3): a history recorded before custodian records replays as it did (same reference, close while preserved)', () => {
    const opening = openPreservation()
    const events = [
      eventFor('delivered', 'requested', 1, hoursAfter(1)),
      eventFor('acknowledged', 'requested', 2, hoursAfter(2)),
      eventFor('preserved', 'requested', 3, hoursAfter(3), preservedAt('EXM-7781', 3, 90)),
      // an old second preserved under the same reference replaced the period in force
      eventFor('preserved', 'requested', 4, hoursAfter(4), preservedAt('EXM-7781', 4, 120)),
      eventFor('extension-requested', 'requester', 5, hoursAfter(5)),
      eventFor('extension-granted', 'requested', 6, hoursAfter(6), {
        grantedDays: 30,
        expiresAt: hoursAfter(4 + 150 * DAY_H),
      }),
      eventFor('mla-submitted', 'requester', 7, hoursAfter(7)),
      eventFor('closed', 'requested', 8, hoursAfter(8)),
    ]
    const replay = replayCase(opening, events)
    expect(replay.rejected).toEqual([])
    expect(replay.case.status).toBe('closed')
    expect(replay.case.custodians).toHaveLength(1)
    expect(replay.case.preservation?.current).toMatchObject({ grantedDays: 30 })
    expect(replay.case.preservation?.periods.map((p) => p.grantedDays)).toEqual([90, 120, 30])
  })
})

describe('a withdrawal releases the custodians (Art. 29(1), (3), (7))', () => {
  it('Art. 29(3): withdrawing a preservation releases every custodian still held, reason withdrawn', () => {
    const c = run(twoCustodians(), [
      ['released', 'requester', { providerReference: 'HZ-2', reason: 'not needed' }],
    ])
    const withdrawn = run(c, [['withdrawn', 'requester']])
    const at = withdrawn.updatedAt
    expect(withdrawn.status).toBe('withdrawn')
    // the one released before keeps its own release; the other is released by the withdrawal
    expect(withdrawn.custodians.map((k) => k.released)).toEqual([
      { at, reason: 'withdrawn' },
      c.custodians[1]?.released,
    ])
    expect(withdrawn.preservation).toBeUndefined()
    expect(releasedByWithdrawal(withdrawn.custodians, at).map((k) => k.providerReference)).toEqual(['OVH-1'])
    expect(withdrawn.custodians.some((k) => isHeld(k, at, withdrawn.mlaReceived?.at))).toBe(false)
    expect(alertSchedule(withdrawn, config)).toEqual([])
  })

  it('Art. 29(7): a withdrawal after the MLA request was received releases the data the receipt kept', () => {
    const c = run(twoCustodians(), [['mla-received', 'requested']])
    const withdrawn = run(c, [['withdrawn', 'requester']])
    expect(withdrawn.custodians.every((k) => k.released?.reason === 'withdrawn')).toBe(true)
    expect(withdrawn.custodians.some((k) => isHeld(k, hoursAfter(10_000), withdrawn.mlaReceived?.at))).toBe(
      false,
    )
  })

  it('Art. 29(3): a preservation that crosses a withdrawal is rejected, one before it is released by it', () => {
    const opening = openPreservation()
    const events = [
      eventFor('delivered', 'requested', 1, hoursAfter(1)),
      eventFor('acknowledged', 'requested', 2, hoursAfter(2)),
      eventFor('preserved', 'requested', 3, hoursAfter(3), preservedAt('OVH-1', 3, 90)),
      eventFor('withdrawn', 'requester', 4, hoursAfter(4)),
      // sent by the requested side before it had the withdrawal: the same seq, a later time
      eventFor('preserved', 'requested', 4, hoursAfter(5), preservedAt('HZ-2', 5, 60)),
    ]
    const replay = replayCase(opening, events)
    expect(replay.case.status).toBe('withdrawn')
    expect(replay.rejected.map((r) => r.event.kind)).toEqual(['preserved'])
    expect(replay.case.custodians.map((k) => [k.providerReference, k.released])).toEqual([
      ['OVH-1', { at: hoursAfter(4), reason: 'withdrawn' }],
    ])
  })

  it('Art. 29(3): a history withdrawn while data was preserved replays to the same status, its data released', () => {
    const opening = openPreservation()
    const events = [
      eventFor('delivered', 'requested', 1, hoursAfter(1)),
      eventFor('acknowledged', 'requested', 2, hoursAfter(2)),
      eventFor('preserved', 'requested', 3, hoursAfter(3), preservedAt('EXM-7781', 3, 90)),
      eventFor('mla-submitted', 'requester', 4, hoursAfter(4)),
      eventFor('withdrawn', 'requester', 5, hoursAfter(5)),
    ]
    const replay = replayCase(opening, events)
    expect(replay.rejected).toEqual([])
    expect(replay.case.status).toBe('withdrawn')
    expect(replay.case.seq).toBe(5)
    expect(replay.case.history.map((e) => e.kind)).toEqual(events.map((e) => e.kind))
    expect(replay.case.custodians[0]?.released).toEqual({ at: hoursAfter(5), reason: 'withdrawn' })
  })

  it('a withdrawal before anything was preserved records no custodian', () => {
    const c = run(openPreservation(), [
      ['delivered', 'requested'],
      ['withdrawn', 'requester'],
    ])
    expect(c.custodians).toEqual([])
    expect(c.preservation).toBeUndefined()
  })
})

const step = fc.record({
  op: fc.constantFrom('preserve', 'release-one', 'release-all', 'close', 'mla-received'),
  pick: fc.nat(5),
  hours: fc.integer({ min: 1, max: 200 * DAY_H }),
})

describe('properties', () => {
  it('Art. 29(7): no sequence of steps closes a case while any custodian’s data is held', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        let c = run(openPreservation(), [
          ['delivered', 'requested'],
          ['acknowledged', 'requested'],
        ])
        let hour = 3
        for (const { op, pick, hours } of steps) {
          hour += hours
          const at = hoursAfter(hour)
          const refs = c.custodians.map((k) => k.providerReference)
          const event =
            op === 'preserve'
              ? eventFor(
                  'preserved',
                  'requested',
                  c.seq + 1,
                  at,
                  preservedAt(`P-${refs.length + 1}`, hour, 60),
                )
              : op === 'release-one'
                ? eventFor('released', 'requester', c.seq + 1, at, {
                    providerReference: refs[pick % Math.max(1, refs.length)] ?? 'none',
                  })
                : op === 'release-all'
                  ? eventFor('released', 'requester', c.seq + 1, at)
                  : op === 'mla-received'
                    ? eventFor('mla-received', 'requested', c.seq + 1, at)
                    : eventFor('closed', pick % 2 === 0 ? 'requester' : 'requested', c.seq + 1, at)
          const before = c
          try {
            c = applyEvent(c, event)
          } catch (error) {
            if (!(error instanceof IllegalTransitionError)) throw error
            continue
          }
          if (c.status === 'closed')
            expect(before.custodians.filter((k) => isHeld(k, at, before.mlaReceived?.at))).toEqual([])
          // the preservation in force is always the unreleased custodian that expires first
          const open = c.custodians.filter((k) => k.released === undefined)
          const first = open.sort(
            (a, b) => Date.parse(a.current.expiresAt) - Date.parse(b.current.expiresAt),
          )[0]
          expect(c.preservation?.providerReference).toBe(first?.providerReference)
          if (c.status === 'closed') break
        }
      }),
      { numRuns: 300 },
    )
  })
})
