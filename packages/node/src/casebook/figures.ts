import { type ClockConfig, dueAlerts, isFinished, type Side } from '@pocnet/cases'
import { MISSED } from './alerts.ts'
import type { HeldCase } from './held.ts'

/**
 * Where an open case stands against this side's clocks: no alert of this side due (`on-time`),
 * one that warns of a deadline due (`near`), or one that says a deadline passed (`missed`).
 */
export const DEADLINE_STATES = ['on-time', 'near', 'missed'] as const
export type DeadlineState = (typeof DEADLINE_STATES)[number]

/** The case book's figures for monitoring, read from the cases held now. */
export interface CaseFigures {
  /** Open cases (not answered, refused, withdrawn or closed) by this node's side and deadline state. */
  open: Array<{ side: Side; deadline: DeadlineState; count: number }>
  /** Each acknowledged case: from its opening to its acknowledgement, in seconds. */
  acknowledgements: Array<{ side: Side; urgency: string; seconds: number }>
}

/** The figures of `cases` at `now`, with the alerts of `clocks`. */
export function caseFigures(cases: Iterable<HeldCase>, clocks: ClockConfig, now: Date): CaseFigures {
  const open = new Map<string, { side: Side; deadline: DeadlineState; count: number }>()
  const acknowledgements: CaseFigures['acknowledgements'] = []
  for (const held of cases) {
    const c = held.current
    if (c.acknowledgement !== undefined) {
      const ms = Date.parse(c.acknowledgement.at) - Date.parse(c.openedAt)
      // clocks of two countries: an acknowledgement stamped before the opening counts as at once
      acknowledgements.push({ side: held.side, urgency: c.request.urgency, seconds: Math.max(0, ms) / 1000 })
    }
    if (isFinished(c)) continue
    const due = dueAlerts(c, now, clocks).filter((a) => a.side === held.side)
    const deadline: DeadlineState = due.some((a) => MISSED.has(a.kind))
      ? 'missed'
      : due.length > 0
        ? 'near'
        : 'on-time'
    const key = `${held.side}/${deadline}`
    const entry = open.get(key) ?? { side: held.side, deadline, count: 0 }
    entry.count++
    open.set(key, entry)
  }
  return { open: [...open.values()], acknowledgements }
}
