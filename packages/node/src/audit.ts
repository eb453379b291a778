import type { Case } from '@pocnet/cases'
import type { LedgerEntry } from '@pocnet/ledger'
import type { DrillCountrySummary } from './drills/summary.ts'

export interface Durations {
  count: number
  medianMinutes: number | null
  worstMinutes: number | null
}

/** The span a report covers, in ms since the epoch: `from` inclusive, `to` exclusive; open-ended when absent. */
export interface AuditPeriod {
  from?: number
  to?: number
}

export interface AuditReport {
  generatedAt: string
  country: string
  /**
   * The span covered: cases opened and alerts raised from `from` (inclusive) to `to` (exclusive);
   * null for no bound. Expiring preservations and drills are as of now, whatever the span.
   */
  period: { from: string | null; to: string | null }
  cases: number
  byCountryAndType: Array<{ counterpart: string; side: string; type: string; count: number }>
  acknowledgement: Durations
  answer: Durations
  preservationsExpiringWithin14Days: Array<{ caseId: string; expiresAt: string; mlaSubmitted: boolean }>
  deadlineBreaches: Array<{ caseId: string; alert: string; dueAt: string; raisedAt: string }>
  /** Reachability drills per country drilled: machine-receipt and human-acknowledgement times. */
  drills: DrillCountrySummary[]
  ledgerSize: number
}

// the requested side's first answer of substance; `not-executed` says there was nothing to give
const ANSWERS = new Set(['preserved', 'partially-disclosed', 'answered', 'refused', 'not-executed'])
const BREACHES = new Set([
  'acknowledgement-overdue',
  'answer-overdue',
  'preservation-expired',
  'extension-unanswered',
])
const DAY = 24 * 3600_000

function durations(minutes: number[]): Durations {
  if (minutes.length === 0) return { count: 0, medianMinutes: null, worstMinutes: null }
  const sorted = [...minutes].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { count: sorted.length, medianMinutes: Math.round(median), worstMinutes: Math.round(sorted.at(-1)!) }
}

/**
 * Figures an oversight body asks for: requests per counterpart and type, how long the
 * requested side took to acknowledge and to answer (median and worst), preservations about to
 * run out, and every deadline alert the node raised.
 */
export function auditReport(input: {
  country: string
  now: Date
  cases: Array<{ case: Case; side: string; counterpart: string }>
  alertEntries: LedgerEntry[]
  drills?: DrillCountrySummary[]
  ledgerSize: number
  period?: AuditPeriod
}): AuditReport {
  const { from, to } = input.period ?? {}
  const within = (ms: number) => (from === undefined || ms >= from) && (to === undefined || ms < to)
  const cases = input.cases.filter(({ case: c }) => within(Date.parse(c.openedAt)))
  const counts = new Map<string, { counterpart: string; side: string; type: string; count: number }>()
  const ack: number[] = []
  const answer: number[] = []
  const expiring: AuditReport['preservationsExpiringWithin14Days'] = []
  for (const { case: c, side, counterpart } of cases) {
    const key = `${counterpart}/${side}/${c.type}`
    const row = counts.get(key) ?? { counterpart, side, type: c.type, count: 0 }
    row.count++
    counts.set(key, row)
    const opened = Date.parse(c.openedAt)
    const acked = c.history.find((e) => e.kind === 'acknowledged')
    if (acked !== undefined) ack.push((Date.parse(acked.at) - opened) / 60_000)
    const answered = c.history.find((e) => ANSWERS.has(e.kind))
    if (answered !== undefined) answer.push((Date.parse(answered.at) - opened) / 60_000)
    const expiresAt = c.preservation?.current.expiresAt
    // once the MLA request is received, Art. 29(7) keeps the data past its expiry: nothing runs out
    const running = c.mlaReceived === undefined && c.status !== 'closed' && c.status !== 'withdrawn'
    if (expiresAt !== undefined && running) {
      const left = Date.parse(expiresAt) - input.now.getTime()
      if (left <= 14 * DAY) expiring.push({ caseId: c.id, expiresAt, mlaSubmitted: c.mla !== undefined })
    }
  }
  const deadlineBreaches = input.alertEntries
    .filter((e) => e.detail?.action === 'alert' && BREACHES.has(String(e.detail.alert)) && within(e.time))
    .map((e) => ({
      caseId: e.caseId ?? '',
      alert: String(e.detail?.alert),
      dueAt: String(e.detail?.dueAt),
      raisedAt: new Date(e.time).toISOString(),
    }))
  return {
    generatedAt: input.now.toISOString(),
    country: input.country,
    period: {
      from: from === undefined ? null : new Date(from).toISOString(),
      to: to === undefined ? null : new Date(to).toISOString(),
    },
    cases: cases.length,
    byCountryAndType: [...counts.values()].sort(
      (a, b) => a.counterpart.localeCompare(b.counterpart) || a.type.localeCompare(b.type),
    ),
    acknowledgement: durations(ack),
    answer: durations(answer),
    preservationsExpiringWithin14Days: expiring.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt)),
    deadlineBreaches,
    drills: input.drills ?? [],
    ledgerSize: input.ledgerSize,
  }
}
