import { Counter, Histogram, type Registry } from 'prom-client'
import type { MetricSources, Scrape } from './scrape.ts'

const MINUTE = 60
const HOUR = 60 * MINUTE

/**
 * From a request's opening to its human acknowledgement: the presets' deadlines run from 1 hour
 * (emergency) to 10 days (routine), so the buckets span a minute to 10 days.
 */
export const ACKNOWLEDGEMENT_BUCKETS_SECONDS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  24 * HOUR,
  3 * 24 * HOUR,
  10 * 24 * HOUR,
]

/** From a message's queueing to its signed receipt (the machine's acknowledgement): a retry backs off up to a minute. */
export const RECEIPT_BUCKETS_SECONDS = [
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  5 * MINUTE,
  HOUR,
  24 * HOUR,
]

/** The names of the figures this file registers, for the list of what the node exports. */
export const LATENCY_FIGURE_NAMES = [
  'pocnet_case_acknowledgement_seconds',
  'pocnet_delivery_receipt_seconds',
  'pocnet_messages_undelivered_total',
] as const

/**
 * The acknowledgement latencies: of every acknowledged case held, re-read at each scrape from the
 * case book (so they survive a restart); and of each message receipted since start, with the
 * messages the outbox gave up on by reason, counted as the outbox tells of them. Returns the
 * function that stops listening to the outbox.
 */
export function registerLatencies(
  registry: Registry,
  sources: MetricSources,
  currentScrape: () => Scrape | undefined,
): () => void {
  new Histogram({
    name: 'pocnet_case_acknowledgement_seconds',
    help: 'Acknowledged cases held by this node: from the request’s opening to the counterpart officer’s acknowledgement, by this node’s side and the urgency.',
    labelNames: ['side', 'urgency'],
    buckets: ACKNOWLEDGEMENT_BUCKETS_SECONDS,
    registers: [registry],
    collect() {
      const scrape = currentScrape()
      if (scrape === undefined) return
      this.reset()
      for (const ack of scrape.cases.acknowledgements)
        this.observe({ side: ack.side, urgency: ack.urgency }, ack.seconds)
    },
  })
  const receipts = new Histogram({
    name: 'pocnet_delivery_receipt_seconds',
    help: 'Messages this node sent and a signed receipt accepted, since start: from queueing to the receipt, retries included.',
    buckets: RECEIPT_BUCKETS_SECONDS,
    registers: [registry],
  })
  const undelivered = new Counter({
    name: 'pocnet_messages_undelivered_total',
    help: 'Messages the outbox gave up on since start, by reason: expired, or the final reason the counterpart refused it for.',
    labelNames: ['reason'],
    registers: [registry],
  })
  const now = sources.now ?? Date.now
  const unsubscribe = [
    sources.outbox.on('delivered', ({ item }) => receipts.observe(Math.max(0, now() - item.queuedAt) / 1000)),
    sources.outbox.on('failed', ({ outcome }) =>
      undelivered.inc({ reason: outcome.status === 'expired' ? 'expired' : outcome.reason }),
    ),
  ]
  return () => {
    for (const stop of unsubscribe) stop()
  }
}
