import { releasedByWithdrawal } from '@pocnet/cases'
import type { Ledger } from '@pocnet/ledger'
import type { EventFeed, FeedEventType } from '../feed.ts'
import type { Change, HeldCases } from './held.ts'

export interface CaseRecorderInit {
  ledger: Ledger
  feed: EventFeed
  cases: HeldCases
  now: () => Date
}

/**
 * Writes what happens to cases where people and auditors see it: each change as a
 * "case-state-changed" ledger entry, each thing an officer must know as a feed event.
 */
export class CaseRecorder {
  readonly #init: CaseRecorderInit

  constructor(init: CaseRecorderInit) {
    this.#init = init
  }

  /**
   * Records the case change a message made and tells the feed: a case a received request opened,
   * or a received step, with the steps of ours it crossed. The same live and in the rebuild that
   * repairs what a crash left unrecorded.
   */
  async announce(
    change: Change,
    from: string,
    actor: string,
    messageId: string | undefined,
    received: boolean,
  ): Promise<void> {
    const { caseId } = change
    if (change.type === 'opened') {
      // found, not got: a case a received request opened is shown once this is done
      const opening = this.#init.cases.find(caseId)!.opening
      await this.recordState(caseId, from, actor, undefined, opening.status, 'opened', messageId)
      if (received)
        this.publish('new-request', caseId, `${opening.request.urgency} ${opening.type} request from ${from}`)
      return
    }
    await this.recordState(caseId, from, actor, change.before, change.after, change.kind, messageId)
    this.publish(
      'case-message',
      caseId,
      `${from}: ${change.kind} (case now ${change.after})${this.#freed(caseId, change.kind)}`,
    )
    for (const r of change.crossed)
      this.publish('case-message', caseId, `your ${r.kind} crossed a message from ${from}: ${r.why}`)
  }

  /** After a withdrawal, the custodians it released: the requested side tells them the data may go. */
  #freed(caseId: string, kind: string): string {
    const c = kind === 'withdrawn' ? this.#init.cases.find(caseId)?.current : undefined
    const at = c?.history.find((e) => e.kind === 'withdrawn')?.at
    const freed = c === undefined || at === undefined ? [] : releasedByWithdrawal(c.custodians, at)
    return freed.length === 0
      ? ''
      : `; preservation released at ${freed.map((k) => k.providerReference).join(', ')}`
  }

  async recordState(
    caseId: string,
    counterpart: string,
    actor: string,
    from: string | undefined,
    to: string,
    event: string,
    /** The message that carried the change, so the rebuild at start finds messages whose change is not recorded. */
    messageId?: string,
  ): Promise<void> {
    await this.#init.ledger.append({
      kind: 'case-state-changed',
      actor,
      caseId,
      counterpart,
      detail: { from: from ?? null, to, event, ...(messageId === undefined ? {} : { messageId }) },
    })
  }

  publish(
    type: FeedEventType,
    caseId: string,
    summary: string,
    detail?: Record<string, string | number | null>,
  ): void {
    this.#init.feed.publish({
      type,
      caseId,
      at: this.#init.now().toISOString(),
      summary,
      ...(detail ? { detail } : {}),
    })
  }
}
