import type { ReceivedDrill, SentDrill } from './book.ts'

/** A drill sent, as the control API and the audit report show it. */
export interface SentDrillView {
  id: string
  to: string
  /** ISO 8601 UTC. */
  sentAt: string
  /** `node` (a scheduled round) or `user:<name>` (`pocnet drills run`). */
  by: string
  /** The machine receipt: when the counterpart's node received it (its signed receipt). */
  receiptAt: string | null
  receiptMs: number | null
  /** The human acknowledgement: when the counterpart's officer acknowledged it. */
  acknowledgedAt: string | null
  acknowledgementMs: number | null
  /** When the counterpart's node refused it (it takes no drills). */
  refusedAt: string | null
  /** Why it never arrived: `expired`, or `rejected: <reason>`. */
  failed: string | null
}

/** A drill received, as the control API shows it. */
export interface ReceivedDrillView {
  id: string
  from: string
  receivedAt: string
  answer: 'ack' | 'refused' | null
  answeredAt: string | null
  /** `user:<name>` who acknowledged, or `node` for a refusal. */
  answeredBy: string | null
}

/** Median and worst of some durations, in milliseconds. */
export interface DrillDurations {
  count: number
  medianMs: number | null
  worstMs: number | null
}

/** One country's drills: counts, the latest, and its receipt and acknowledgement times over all of them. */
export interface DrillCountrySummary {
  country: string
  sent: number
  receipted: number
  acknowledged: number
  refused: number
  failed: number
  latest: SentDrillView
  receipt: DrillDurations
  acknowledgement: DrillDurations
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())
// the counterpart's clock may run behind ours: a negative span is reported as none
const span = (from: number, to: number | undefined) => (to === undefined ? null : Math.max(0, to - from))

export function sentDrillView(d: SentDrill): SentDrillView {
  const acked = d.answer?.type === 'ack' ? d.answer.at : undefined
  return {
    id: d.id,
    to: d.to,
    sentAt: iso(d.sentAt)!,
    by: d.by,
    receiptAt: iso(d.receiptAt),
    receiptMs: span(d.sentAt, d.receiptAt),
    acknowledgedAt: iso(acked),
    acknowledgementMs: span(d.sentAt, acked),
    refusedAt: iso(d.answer?.type === 'refused' ? d.answer.at : undefined),
    failed: d.failed ?? null,
  }
}

export function receivedDrillView(d: ReceivedDrill): ReceivedDrillView {
  return {
    id: d.id,
    from: d.from,
    receivedAt: iso(d.receivedAt)!,
    answer: d.answer?.type ?? null,
    answeredAt: iso(d.answer?.at),
    answeredBy: d.answer?.by ?? null,
  }
}

function durations(values: number[]): DrillDurations {
  if (values.length === 0) return { count: 0, medianMs: null, worstMs: null }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { count: sorted.length, medianMs: Math.round(median), worstMs: sorted.at(-1)! }
}

/** Per country drilled, by country code: what `pocnet drills` and `audit report` show. */
export function summarizeDrills(sent: readonly SentDrill[]): DrillCountrySummary[] {
  const byCountry = new Map<string, SentDrillView[]>()
  for (const d of [...sent].sort((a, b) => a.sentAt - b.sentAt)) {
    const views = byCountry.get(d.to) ?? []
    views.push(sentDrillView(d))
    byCountry.set(d.to, views)
  }
  return [...byCountry.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([country, views]) => ({
      country,
      sent: views.length,
      receipted: views.filter((v) => v.receiptAt !== null).length,
      acknowledged: views.filter((v) => v.acknowledgedAt !== null).length,
      refused: views.filter((v) => v.refusedAt !== null).length,
      failed: views.filter((v) => v.failed !== null).length,
      latest: views.at(-1)!,
      receipt: durations(views.flatMap((v) => (v.receiptMs === null ? [] : [v.receiptMs]))),
      acknowledgement: durations(
        views.flatMap((v) => (v.acknowledgementMs === null ? [] : [v.acknowledgementMs])),
      ),
    }))
}
