import {
  alertSchedule,
  allowedMoves,
  type Case,
  type ClockConfig,
  dataUsable,
  nextAlertAt,
  type Side,
} from '@pocnet/cases'
import type { HeldCase } from './held.ts'

export interface CaseSummary {
  id: string
  type: string
  requester: string
  requested: string
  side: Side
  status: string
  urgency: string
  /** The requester's own case reference (the request's caseReference). */
  reference: string
  openedAt: string
  updatedAt: string
  ackDueAt: string | null
  /** When the requested side's answer is due, while one is owed. */
  answerDueAt: string | null
  preservationExpiresAt: string | null
  nextAlert: string | null
}

export interface CaseDetail {
  case: Case
  side: Side
  allowedMoves: ReturnType<typeof allowedMoves>
  /** The acknowledgement deadline while none has come, and the next alert: as `list()` gives them. */
  ackDueAt: string | null
  answerDueAt: string | null
  nextAlert: string | null
  /** Whether the data supplied may be used: no conditions on use, or accepted ones (docs/endings.md). */
  dataUsable: boolean
}

/** One line of the case list: the case's state, this side's deadlines and its next alert at `now`. */
export function summarize(h: HeldCase, clocks: ClockConfig, now: Date): CaseSummary {
  const c = h.current
  const schedule = alertSchedule(c, clocks)
  return {
    id: c.id,
    type: c.type,
    requester: c.requester,
    requested: c.requested,
    side: h.side,
    status: c.status,
    urgency: c.request.urgency,
    reference: c.request.caseReference,
    openedAt: c.openedAt,
    updatedAt: c.updatedAt,
    ackDueAt: schedule.find((a) => a.kind === 'acknowledgement-overdue')?.dueAt ?? null,
    answerDueAt: schedule.find((a) => a.kind === 'answer-overdue')?.dueAt ?? null,
    preservationExpiresAt: c.preservation?.current.expiresAt ?? null,
    nextAlert: nextAlertAt(c, now, clocks) ?? null,
  }
}

/** The whole case, with the moves this side may make now. */
export function detailOf(h: HeldCase, clocks: ClockConfig, now: Date): CaseDetail {
  const { ackDueAt, answerDueAt, nextAlert } = summarize(h, clocks, now)
  return {
    case: h.current,
    side: h.side,
    allowedMoves: allowedMoves(h.current, h.side, now.toISOString()),
    ackDueAt,
    answerDueAt,
    nextAlert,
    dataUsable: dataUsable(h.current),
  }
}
