import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import {
  type Alert,
  type ClockConfig,
  type FollowUp,
  type KeyKind,
  requestKeys,
  validateRequest,
} from '@pocnet/cases'
import type { Ledger } from '@pocnet/ledger'
import type { OpenedEnvelope, RejectReason } from '@pocnet/protocol'
import type { CaseAttachments } from '../attachments/case-hooks.ts'
import type { InboundMessage } from '../delivery.ts'
import type { EventFeed } from '../feed.ts'
import type { Logger } from '../log.ts'
import type { Outbox } from '../outbox.ts'
import type { StartIndex } from '../snapshot/start-index.ts'
import { CaseAlerts } from './alerts.ts'
import { type DamagedCase, DamagedCases } from './damaged.ts'
import { type CaseFigures, caseFigures } from './figures.ts'
import { type HeldCase, HeldCases } from './held.ts'
import { LiveCases } from './live.ts'
import { CASE_EVENT_KIND, CASE_REQUEST_KIND } from './payload.ts'
import { rebuildCases } from './rebuild.ts'
import { CaseRecorder } from './record.ts'
import {
  type CaseMatch,
  type RepeatedIdentifier,
  repeatedIdentifiers,
  searchCases,
  warnRepeated,
} from './search.ts'
import { type CaseDetail, type CaseSummary, detailOf, summarize } from './summary.ts'

export type { DamagedCase, DamagedEntry } from './damaged.ts'
export { type CaseFigures, DEADLINE_STATES, type DeadlineState } from './figures.ts'
export { CaseNotFoundError, type HeldCase } from './held.ts'
export { CASE_EVENT_KIND, CASE_REQUEST_KIND } from './payload.ts'
export type { CaseMatch, CaseRef, RepeatedIdentifier } from './search.ts'
export type { CaseDetail, CaseSummary } from './summary.ts'

const ALERT_INTERVAL_MS = 15_000

export interface CaseBookInit {
  country: string
  ledger: Ledger
  outbox: Outbox
  feed: EventFeed
  clocks: ClockConfig
  log: Logger
  now?: () => Date
  /** Attachments that travel with case messages (attachments/). */
  attachments?: CaseAttachments
}

/**
 * The cases this node takes part in, on either side. Every case message travels as a sealed
 * envelope; its payload is kept in the ledger beside it, so the book is rebuilt from the
 * ledger on start (rebuild.ts). Each change is also a "case-state-changed" ledger entry
 * (record.ts), and each alert a clock raises is recorded once (alerts.ts), so auditors see
 * breaches of deadlines. This class runs the parts, one change at a time.
 */
export class CaseBook {
  readonly #init: CaseBookInit
  readonly #now: () => Date
  readonly #cases: HeldCases
  readonly #alerts: CaseAlerts
  readonly #recorder: CaseRecorder
  readonly #live: LiveCases
  /** Cases with messages the rebuild could not read: shown as damaged, never dropped. */
  readonly #damaged = new DamagedCases()
  readonly #unsubscribe: Array<() => void>
  /** Aborted by stop(): a change waiting on the network (the outbox resolving a counterpart) ends. */
  readonly #shutdown = new AbortController()
  readonly #clockTask: RepeatingTask
  /** The periodic clock check under way, if any: stop() waits for it, as it writes to the ledger. */
  #clockCheck: Promise<unknown> = Promise.resolve()
  // One change at a time: each step's seq depends on the state the previous one left.
  #queue: Promise<unknown> = Promise.resolve()

  constructor(init: CaseBookInit) {
    this.#init = init
    this.#now = init.now ?? (() => new Date())
    const { ledger, feed, clocks, country, outbox, log } = init
    const now = this.#now
    this.#cases = new HeldCases(country)
    this.#recorder = new CaseRecorder({ ledger, feed, cases: this.#cases, now })
    this.#alerts = new CaseAlerts({ ledger, cases: this.#cases, recorder: this.#recorder, clocks, now })
    this.#live = new LiveCases({
      country,
      outbox,
      log,
      cases: this.#cases,
      recorder: this.#recorder,
      alerts: this.#alerts,
      now,
      signal: this.#shutdown.signal,
      ...(init.attachments !== undefined && { attachments: init.attachments }),
    })
    this.#clockTask = repeatingTask(() => {
      this.#clockCheck = this.checkClocks().catch((err: unknown) =>
        log.error('cases.clock-failed', { error: String(err) }),
      )
      return this.#clockCheck.then(() => {})
    }, ALERT_INTERVAL_MS)
    // From construction, not start: the outbox starts first, and an outcome it reaches meanwhile
    // waits in the queue for the rebuild that puts the step in the book.
    this.#unsubscribe = [
      outbox.on('delivered', ({ item }) => {
        if (item.kind === CASE_EVENT_KIND) this.#live.delivered(item.messageId)
      }),
      outbox.on('failed', ({ item, outcome }) => {
        if (item.kind !== CASE_EVENT_KIND) return
        const why = outcome.status === 'expired' ? 'expired' : `refused: ${outcome.reason}`
        this.#serial(() => this.#live.undelivered(item.messageId, why)).catch((err: unknown) =>
          log.error('cases.undelivered-failed', { messageId: item.messageId, error: String(err) }),
        )
      }),
    ]
  }

  /** Rebuilds the book from the case messages and records the start index names (snapshot/start-index.ts). */
  async start(index: StartIndex): Promise<void> {
    // In the queue like every change: the outbox may give up on a step while the book is still
    // being rebuilt, and taking it back must wait for the step to be in the book.
    await this.#serial(async () => {
      this.#alerts.load(index.alerted)
      await rebuildCases({
        ledger: this.#init.ledger,
        log: this.#init.log,
        cases: this.#cases,
        recorder: this.#recorder,
        index,
        damaged: this.#damaged,
        sendDelivered: (caseId) => this.#live.sendDelivered(caseId),
      })
    })
    for (const held of this.#cases.values()) this.#cases.index.addSteps(held.opening.id, held.current.history)
    this.#clockTask.start()
    await this.checkClocks()
  }

  /** Stops listening and checking clocks, and waits for the change under way (its network waits aborted). */
  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#clockTask.stop()
    this.#shutdown.abort()
    await Promise.all([this.#queue, this.#clockCheck])
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work)
    this.#queue = run.catch(() => {})
    return run
  }

  // ——— reading ———

  get(id: string): HeldCase {
    return this.#cases.get(id)
  }

  list(): CaseSummary[] {
    const now = this.#now()
    return [...this.#cases.values()]
      .map((h) => summarize(h, this.#init.clocks, now))
      .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
  }

  detail(id: string): CaseDetail {
    return detailOf(this.#cases.get(id), this.#init.clocks, this.#now())
  }

  /** Open cases by deadline state and acknowledgement latencies, for the metrics endpoint. */
  figures(): CaseFigures {
    return caseFigures(this.#cases.values(), this.#init.clocks, this.#now())
  }

  /** The cases with unreadable messages, each saying whether the book holds it nonetheless. */
  damaged(): DamagedCase[] {
    return this.#damaged.list((id) => this.#cases.find(id) !== undefined)
  }

  /** The damaged case `id`, if its messages were found unreadable. */
  damagedCase(id: string): DamagedCase | undefined {
    return this.#damaged.find(id, (held) => this.#cases.find(held) !== undefined)
  }

  /** The cases holding `text` as a reference or an identifier (search.ts), finished ones too. */
  search(text: string, kind?: KeyKind): CaseMatch[] {
    return searchCases(this.#cases, text, kind)
  }

  /** The identifiers of case `id` that another open case holds too. */
  repeatedIdentifiers(id: string): RepeatedIdentifier[] {
    const held = this.#cases.get(id)
    return repeatedIdentifiers(this.#cases, requestKeys(held.opening.request), id)
  }

  /** The identifiers of a request form, not sent, that an open case holds; none for a form that does not validate. */
  repeatedInForm(form: unknown): RepeatedIdentifier[] {
    const validated = validateRequest(form)
    return validated.ok ? repeatedIdentifiers(this.#cases, requestKeys(validated.value)) : []
  }

  get damagedCount(): number {
    return this.#damaged.size
  }

  // ——— acting ———

  /** Validates a request form, opens the case and queues its first message. Throws InvalidRequestError listing every problem. */
  async openRequest(
    to: string,
    form: unknown,
    actor: string,
    idempotencyKey?: string,
  ): Promise<{
    caseId: string
    messageId: string
    repeated: boolean
    repeatedIdentifiers: RepeatedIdentifier[]
  }> {
    const opened = await this.#serial(() => this.#live.openRequest(to, form, actor, idempotencyKey))
    const repeats = this.repeatedIdentifiers(opened.caseId)
    if (!opened.repeated) this.#warnRepeated(opened.caseId, repeats)
    return { ...opened, repeatedIdentifiers: repeats }
  }

  /**
   * Adds this side's next step to a case: checked against the state machine first (an illegal
   * step throws IllegalTransitionError and nothing is sent), then sent and recorded.
   */
  addEvent(
    caseId: string,
    fields: Record<string, unknown>,
    actor: string,
  ): Promise<{ status: string; messageId: string }> {
    return this.#serial(async () => {
      const sent = await this.#live.addEvent(caseId, fields, actor)
      this.#indexSteps(caseId)
      return sent
    })
  }

  /** The pre-filled Art. 30 follow-up preservation request to a third country a partial disclosure named. */
  followUp(caseId: string, thirdCountry?: string): FollowUp {
    return this.#live.followUp(caseId, thirdCountry)
  }

  // ——— receiving ———

  /** Decides, before a case message is stored, whether it may be: a wrong one gets a "malformed" receipt. */
  check(opened: OpenedEnvelope, fromCountry: string): RejectReason | undefined {
    return this.#live.check(opened, fromCountry)
  }

  /** Applies an accepted case message (already stored durably in the ledger). */
  async receive(message: InboundMessage, opened: OpenedEnvelope): Promise<void> {
    await this.#serial(() => this.#live.receive(message, opened))
    this.#indexSteps(opened.caseId)
    const held = opened.kind === CASE_REQUEST_KIND ? this.#cases.shown(opened.caseId) : undefined
    if (held !== undefined) this.#warnRepeated(opened.caseId, this.repeatedIdentifiers(opened.caseId))
  }

  /** Indexes the identifiers of case `id`'s steps that are not yet (a disclosure's). */
  #indexSteps(id: string): void {
    const held = this.#cases.find(id)
    if (held !== undefined) this.#cases.index.addSteps(id, held.current.history)
  }

  #warnRepeated(caseId: string, repeats: readonly RepeatedIdentifier[]): void {
    warnRepeated(this.#init.log, this.#recorder, caseId, repeats)
  }

  /** Raises each due alert of this node's side once (recorded in the ledger, so once across restarts too). */
  checkClocks(): Promise<Alert[]> {
    return this.#alerts.check()
  }
}
