import { type AnswerDeadlineMinutes, answerDueAt, readAnswerDeadlines } from './answer-clocks.ts'
import type { Case } from './case.ts'
import { HOUR_MS, URGENCIES, type Urgency } from './constants.ts'
import type { Side } from './events.ts'
import { preservationAlerts } from './preservation-clock.ts'
import { FormReader, type Validation } from './problems.ts'

/**
 * When the node should warn people about a case. The Convention sets no numeric deadlines
 * ("immediate", "expedited"): every number here is configuration a network or country chooses.
 */
export interface ClockConfig {
  /** Where the numbers come from, shown to people next to any alert: never presented as law. */
  readonly basis: string
  /** How long after sending an unacknowledged request counts as overdue, per urgency. */
  readonly acknowledgementDeadlineMinutes: Readonly<Record<Urgency, number>>
  /** How long the requested side has to answer, per request type and urgency; the default table when absent. */
  readonly answerDeadlineMinutes?: AnswerDeadlineMinutes
  /** Remind both sides this many hours before a preservation expires. */
  readonly expiryReminderLeadHours: readonly number[]
  /** Warn both sides this many hours before expiry when no MLA request has been recorded. */
  readonly mlaWarningLeadHours: number
  /** Warn when an extension request has had no answer for this long. */
  readonly extensionAnswerDeadlineHours: number
  /** Remind both sides this often to review an MLA request received and not decided (default 30). */
  readonly mlaReviewIntervalDays?: number
}

export const ALERT_KINDS = [
  'acknowledgement-overdue',
  'answer-overdue',
  'preservation-expiring',
  'preservation-expired',
  'mla-not-submitted',
  'extension-unanswered',
  'mla-review-due',
] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/** Something a person on one side should be told about a case, and from when. */
export interface Alert {
  readonly kind: AlertKind
  readonly caseId: string
  readonly side: Side
  readonly dueAt: string
  /** Stable across calls: the node stores it to send each alert once, and a new expiry date gives new keys. */
  readonly key: string
  /** The preservation expiry an expiry-related alert is about. */
  readonly expiresAt?: string
  readonly leadHours?: number
}

const BOTH: readonly Side[] = ['requester', 'requested']

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/**
 * Every alert the case's current state calls for, past and future, sorted by due time. Alerts
 * depend only on the case and the configuration, so the node may recompute them at any moment.
 */
export function alertSchedule(c: Case, config: ClockConfig): Alert[] {
  const alerts: Alert[] = []
  const add = (kind: AlertKind, dueMs: number, anchor: string, extra: Partial<Alert> = {}) => {
    for (const side of BOTH) {
      const lead = extra.leadHours === undefined ? '' : `/${extra.leadHours}h`
      alerts.push({
        kind,
        caseId: c.id,
        side,
        dueAt: iso(dueMs),
        key: `${c.id}/${kind}/${anchor}${lead}/${side}`,
        ...extra,
      })
    }
  }
  if (c.status === 'sent' || c.status === 'delivered') {
    const minutes = config.acknowledgementDeadlineMinutes[c.request.urgency]
    add('acknowledgement-overdue', Date.parse(c.openedAt) + minutes * 60_000, c.openedAt)
  }
  const answerDue = answerDueAt(c, config.answerDeadlineMinutes)
  if (answerDue !== undefined) add('answer-overdue', Date.parse(answerDue), c.deliveredAt ?? c.openedAt)
  preservationAlerts(c, config, add)
  if (c.status === 'extension-requested' && c.pendingExtension !== undefined) {
    const asked = c.pendingExtension.requestedAt
    add('extension-unanswered', Date.parse(asked) + config.extensionAnswerDeadlineHours * HOUR_MS, asked)
  }
  return alerts.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || (a.key < b.key ? -1 : 1))
}

/** The alerts due at `now` (injected: the node passes its clock). The node dedupes them on `key`. */
export function dueAlerts(c: Case, now: Date, config: ClockConfig): Alert[] {
  return alertSchedule(c, config).filter((a) => Date.parse(a.dueAt) <= now.getTime())
}

/** When the next alert falls due after `now`, for the node's timer; undefined when none is pending. */
export function nextAlertAt(c: Case, now: Date, config: ClockConfig): string | undefined {
  return alertSchedule(c, config).find((a) => Date.parse(a.dueAt) > now.getTime())?.dueAt
}

const MAX_HOURS = 24 * 365

/**
 * Checks a node's own answer-deadline table (its config file's `answerDeadlineMinutes`): a
 * `default` row and optional rows per request type, each with minutes for every urgency, from 1
 * minute to a year. Never throws on bad input; problems are located under `answerDeadlineMinutes`.
 */
export function validateAnswerDeadlines(input: unknown): Validation<AnswerDeadlineMinutes> {
  const reader = new FormReader()
  const table =
    input === undefined || input === null
      ? reader.report('answerDeadlineMinutes', 'required', 'is required when the key is present')
      : readAnswerDeadlines(reader, input, MAX_HOURS * 60)
  return table === undefined || reader.problems.length > 0
    ? { ok: false, problems: reader.problems }
    : { ok: true, value: table }
}

/** Checks a clock configuration read from a node's config file; never throws on bad input. */
export function validateClockConfig(input: unknown): Validation<ClockConfig> {
  const reader = new FormReader()
  const f = reader.object(input, '', [
    'basis',
    'acknowledgementDeadlineMinutes',
    'answerDeadlineMinutes',
    'expiryReminderLeadHours',
    'mlaWarningLeadHours',
    'extensionAnswerDeadlineHours',
    'mlaReviewIntervalDays',
  ])
  if (f === undefined) return { ok: false, problems: reader.problems }
  const basis = reader.string(f, 'basis', '', { required: true, max: 1000 })
  const ackPath = 'acknowledgementDeadlineMinutes'
  const ack = reader.object(f.acknowledgementDeadlineMinutes, ackPath, URGENCIES)
  const minutes: Partial<Record<Urgency, number>> = {}
  for (const urgency of URGENCIES) {
    const value =
      ack && reader.integer(ack, urgency, ackPath, { required: true, min: 1, max: MAX_HOURS * 60 })
    if (value !== undefined) minutes[urgency] = value
  }
  const answer = readAnswerDeadlines(reader, f.answerDeadlineMinutes, MAX_HOURS * 60)
  const hours = { min: 1, max: MAX_HOURS }
  const leads = reader.list(f, 'expiryReminderLeadHours', '', { min: 0, max: 20 }, (v, p) =>
    Number.isInteger(v) && (v as number) >= hours.min && (v as number) <= hours.max
      ? (v as number)
      : reader.report(p, 'range', `must be a whole number of hours from ${hours.min} to ${hours.max}`),
  )
  const mla = reader.integer(f, 'mlaWarningLeadHours', '', { required: true, ...hours })
  const ext = reader.integer(f, 'extensionAnswerDeadlineHours', '', { required: true, ...hours })
  const review = reader.integer(f, 'mlaReviewIntervalDays', '', { required: false, min: 1, max: 365 })
  const { emergency, urgent, routine } = minutes
  if (
    reader.problems.length > 0 ||
    basis === undefined ||
    emergency === undefined ||
    urgent === undefined ||
    routine === undefined ||
    answer === undefined ||
    leads === undefined ||
    mla === undefined ||
    ext === undefined
  ) {
    return { ok: false, problems: reader.problems }
  }
  return {
    ok: true,
    value: {
      basis,
      acknowledgementDeadlineMinutes: { emergency, urgent, routine },
      answerDeadlineMinutes: answer,
      expiryReminderLeadHours: leads,
      mlaWarningLeadHours: mla,
      extensionAnswerDeadlineHours: ext,
      ...(review !== undefined && { mlaReviewIntervalDays: review }),
    },
  }
}
