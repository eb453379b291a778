import { type Case, CLOCK_PRESETS, openCase } from '@pocnet/cases'
import type { Ledger } from '@pocnet/ledger'
import { parseExposition, preservationForm } from '@pocnet/test-utils'
import { describe, expect, it } from 'vitest'
import { caseFigures } from '../src/casebook/figures.ts'
import type { HeldCase } from '../src/casebook/index.ts'
import type { Health } from '../src/daemon/health.ts'
import type { DrillCountrySummary } from '../src/drills/summary.ts'
import { FIGURES, type MetricSources, NodeMetrics, POCNET_FIGURE_NAMES } from '../src/metrics/index.ts'

const CLOCKS = CLOCK_PRESETS['pocnet-default']
/**
 * When the fixture ledger's first entry was written: fixed before any scrape, whose clock is read
 * before it reads the entry (read at the call, it could be a millisecond younger than 60 s).
 */
const FIRST_ENTRY_AT = Date.now() - 60_000
const OPENED = '2026-11-28T13:03:00.000Z'
const HOUR = 3600_000

function held(side: HeldCase['side'], change: Partial<Case> = {}): HeldCase {
  const opening = openCase({
    caseId: `${side}-${Object.keys(change).join('-')}`,
    requester: 'IT',
    requested: 'FR',
    openedAt: OPENED,
    request: preservationForm(),
  })
  return {
    opening,
    events: [],
    current: { ...opening, ...change },
    side,
    counterpart: side === 'requester' ? 'FR' : 'IT',
  }
}

describe('case figures', () => {
  it('puts each open case in its deadline state on its side, and finished cases in none', () => {
    // urgent: acknowledgement due 4 hours after the opening (pocnet-default)
    const cases = [
      held('requester'),
      held('requested'),
      held('requested', { status: 'closed' }),
      held('requester', {
        status: 'acknowledged',
        acknowledgement: { by: 'X', at: '2026-11-28T13:33:00.000Z' },
      }),
    ]
    const at = (ms: number) => caseFigures(cases, CLOCKS, new Date(Date.parse(OPENED) + ms))
    expect(at(HOUR).open).toEqual([
      { side: 'requester', deadline: 'on-time', count: 2 },
      { side: 'requested', deadline: 'on-time', count: 1 },
    ])
    expect(at(5 * HOUR).open).toEqual([
      { side: 'requester', deadline: 'missed', count: 1 },
      { side: 'requested', deadline: 'missed', count: 1 },
      { side: 'requester', deadline: 'on-time', count: 1 },
    ])
    expect(at(HOUR).acknowledgements).toEqual([{ side: 'requester', urgency: 'urgent', seconds: 1800 }])
  })
})

/** A node's parts as the figures read them, with a health whose counts the test sets. */
function sources(health: Partial<Health>): MetricSources {
  const full = {
    country: 'IT',
    network: 'pocnet-test',
    sealing: 'hybrid',
    outboxDepth: 0,
    oldestUndeliveredAt: null,
    delivered: 2,
    received: 1,
    rejected: { replay: 3 },
    connectionRefusals: {},
    frameBudget: {
      totalBytes: 64,
      perMemberBytes: 16,
      heldBytes: 0,
      holders: 0,
      readPauses: 0,
      pausedMembers: 0,
    },
    witness: { minCosigners: 1, cosigners: [], meetsPolicy: false, equivocations: 0, cosignedForOthers: 0 },
    peersConnected: 1,
    rosterVersion: 0,
    ledgerSize: 5,
    lastCheckpoint: null,
    ...health,
  } as unknown as Health
  return {
    health: () => full,
    cases: { figures: () => ({ open: [], acknowledgements: [] }) },
    outbox: { list: () => [], on: () => () => {} },
    ledger: {
      size: 5,
      latestCheckpoint: () => undefined,
      get: async (seq: number) => ({ seq, time: FIRST_ENTRY_AT }) as Awaited<ReturnType<Ledger['get']>>,
    },
    rosterMembers: () => 2,
    dhtRecords: async () => 1,
    drills: () => ({
      countries: [
        {
          country: 'FR',
          sent: 3,
          receipted: 3,
          acknowledged: 2,
          refused: 0,
          failed: 0,
          latest: {} as DrillCountrySummary['latest'],
          receipt: { count: 3, medianMs: 40, worstMs: 90 },
          acknowledgement: { count: 2, medianMs: 120_000, worstMs: 300_000 },
        },
      ],
      received: [
        { id: 'd1', from: 'FR', receivedAt: '', answer: null, answeredAt: null, answeredBy: null },
        { id: 'd2', from: 'FR', receivedAt: '', answer: 'ack', answeredAt: '', answeredBy: 'user:jean' },
      ],
    }),
    duty: () => ({ officerOnDuty: true, pages: { officer: 2, backup: 1, supervisor: 0, requester: 0 } }),
  }
}

describe('NodeMetrics', () => {
  it('writes every figure from the node at each scrape, in both formats', async () => {
    const metrics = new NodeMetrics()
    metrics.attach(sources({ outboxDepth: 4, oldestUndeliveredAt: Date.now() - 10_000 }))
    const text = parseExposition(await metrics.render('prometheus'), 'prometheus')
    expect([...text.keys()].sort()).toEqual([...POCNET_FIGURE_NAMES].sort())
    expect(text.get('pocnet_outbox_messages')!.samples).toEqual([
      { name: 'pocnet_outbox_messages', labels: {}, value: 4 },
    ])
    expect(
      text.get('pocnet_outbox_oldest_undelivered_age_seconds')!.samples[0]!.value,
    ).toBeGreaterThanOrEqual(10)
    expect(text.get('pocnet_rejections_total')!.samples).toEqual([
      { name: 'pocnet_rejections_total', labels: { reason: 'replay' }, value: 3 },
    ])
    expect(text.get('pocnet_drills')!.samples).toContainEqual({
      name: 'pocnet_drills',
      labels: { country: 'FR', outcome: 'acknowledged' },
      value: 2,
    })
    expect(text.get('pocnet_drill_acknowledgement_seconds')!.samples).toEqual([
      { name: 'pocnet_drill_acknowledgement_seconds', labels: { country: 'FR' }, value: 120 },
    ])
    expect(text.get('pocnet_drill_receipt_seconds')!.samples[0]!.value).toBe(0.04)
    expect(text.get('pocnet_drills_awaiting_acknowledgement')!.samples[0]!.value).toBe(1)
    expect(text.get('pocnet_duty_officer_on_duty')!.samples[0]!.value).toBe(1)
    expect(text.get('pocnet_duty_pages')!.samples).toContainEqual({
      name: 'pocnet_duty_pages',
      labels: { place: 'backup' },
      value: 1,
    })
    // no checkpoint yet: the age runs from the first entry
    expect(text.get('pocnet_ledger_checkpoint_age_seconds')!.samples[0]!.value).toBeGreaterThanOrEqual(60)
    const open = parseExposition(await metrics.render('openmetrics'), 'openmetrics')
    expect(open.get('pocnet_rejections')!.samples[0]!.name).toBe('pocnet_rejections_total')
    // the text format after OpenMetrics keeps the counters' _total names
    const again = parseExposition(await metrics.render('prometheus'), 'prometheus')
    expect(again.get('pocnet_messages_delivered_total')!.samples[0]!.value).toBe(2)
  })

  it('takes a new figure from one entry in FIGURES', () => {
    expect(new Set(FIGURES.map((f) => f.name)).size).toBe(FIGURES.length)
    for (const figure of FIGURES) {
      expect(figure.name).toMatch(/^pocnet_[a-z0-9_]+$/)
      expect(figure.name.endsWith('_total')).toBe(figure.type === 'counter')
      expect(figure.help).not.toBe('')
    }
  })
})
