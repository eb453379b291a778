import { type Alert, type AlertKind, type ClockConfig, dueAlerts, isFinished } from '@pocnet/cases'
import type { Ledger } from '@pocnet/ledger'
import type { HeldCases } from './held.ts'
import type { CaseRecorder } from './record.ts'

// Alerts that say a clock ran out, as opposed to one about to.
export const MISSED: ReadonlySet<AlertKind> = new Set([
  'acknowledgement-overdue',
  'answer-overdue',
  'preservation-expired',
  'extension-unanswered',
])

export interface CaseAlertsInit {
  ledger: Ledger
  cases: HeldCases
  recorder: CaseRecorder
  clocks: ClockConfig
  now: () => Date
}

/** The alerts the case clocks raise on this node's side: each once, recorded in the ledger, so once across restarts too. */
export class CaseAlerts {
  readonly #init: CaseAlertsInit
  readonly #alerted = new Set<string>()

  constructor(init: CaseAlertsInit) {
    this.#init = init
  }

  /** The keys of the alerts raised before this start, from the start index. */
  load(alerted: Iterable<string>): void {
    for (const key of alerted) this.#alerted.add(key)
  }

  /** Raises each due alert of this node's side not raised before. */
  async check(): Promise<Alert[]> {
    const { ledger, clocks, recorder } = this.#init
    const raised: Alert[] = []
    const now = this.#init.now()
    for (const held of this.#init.cases.values()) {
      if (isFinished(held.current)) continue
      for (const alert of dueAlerts(held.current, now, clocks)) {
        if (alert.side !== held.side || this.#alerted.has(alert.key)) continue
        this.#alerted.add(alert.key)
        await ledger.append({
          kind: 'admin-action',
          actor: 'node',
          caseId: alert.caseId,
          counterpart: held.counterpart,
          detail: { action: 'alert', key: alert.key, alert: alert.kind, dueAt: alert.dueAt },
        })
        recorder.publish(
          MISSED.has(alert.kind) ? 'deadline-missed' : 'deadline-near',
          alert.caseId,
          `${alert.kind} (due ${alert.dueAt}; ${clocks.basis})`,
          { alert: alert.kind, dueAt: alert.dueAt, expiresAt: alert.expiresAt ?? null },
        )
        raised.push(alert)
      }
    }
    return raised
  }
}
