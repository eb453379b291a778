import type { Case } from './case.ts'
import type { Alert, AlertKind, ClockConfig } from './clocks.ts'
import { HOUR_MS } from './constants.ts'

/** How often "MLA pending" is recalled while the central authority has not decided, unless configured. */
export const DEFAULT_MLA_REVIEW_INTERVAL_DAYS = 30
/** Reminders scheduled ahead for one MLA receipt: at 30 days, two years of them. */
const MAX_MLA_REVIEWS = 24

type AddAlert = (kind: AlertKind, dueMs: number, anchor: string, extra?: Partial<Alert>) => void

/** Statuses in which the expiry clock runs: the data is preserved and no MLA request was received yet. */
const CLOCK_RUNNING = ['preserved', 'extension-requested', 'partially-disclosed', 'mla-submitted']

/**
 * The alerts of a preservation: for each custodian still preserved, reminders before its expiry,
 * a warning when no MLA request is on its way, and the expiry itself; the earliest expiry comes
 * first. `mla-submitted` does not stop the clock: Art. 29(7) continues preservation from the
 * *receipt* of the MLA request, which `mla-received` records; from then on, while the request
 * is undecided, both sides are reminded every `mlaReviewIntervalDays` to review it.
 *
 * The first custodian's keys are anchored on its expiry alone, as they were before custodian
 * records, so an alert sent before an upgrade is not sent again; a further custodian's carry its
 * place in the list, so two custodians with the same expiry each get theirs.
 */
export function preservationAlerts(c: Case, config: ClockConfig, add: AddAlert): void {
  if (CLOCK_RUNNING.includes(c.status) && c.mlaReceived === undefined) {
    c.custodians.forEach((k, index) => {
      if (k.released !== undefined) return
      const { expiresAt, grantedAt } = k.current
      const anchor = index === 0 ? expiresAt : `custodian-${index + 1}/${expiresAt}`
      const expiry = Date.parse(expiresAt)
      const start = Date.parse(grantedAt)
      const extra = { expiresAt }
      for (const leadHours of config.expiryReminderLeadHours) {
        const due = expiry - leadHours * HOUR_MS
        // A lead time longer than the period granted would fire at once and say nothing new.
        if (due > start) add('preservation-expiring', due, anchor, { ...extra, leadHours })
      }
      if (c.mla === undefined) {
        const leadHours = config.mlaWarningLeadHours
        add('mla-not-submitted', Math.max(start, expiry - leadHours * HOUR_MS), anchor, {
          ...extra,
          leadHours,
        })
      }
      add('preservation-expired', expiry, anchor, extra)
    })
  }
  if (c.status === 'mla-received' && c.mlaReceived !== undefined) {
    const received = c.mlaReceived.at
    const days = config.mlaReviewIntervalDays ?? DEFAULT_MLA_REVIEW_INTERVAL_DAYS
    for (let n = 1; n <= MAX_MLA_REVIEWS; n++)
      add('mla-review-due', Date.parse(received) + n * days * 24 * HOUR_MS, `${received}/${n}`)
  }
}
