import { randomBytes } from 'node:crypto'
import {
  type Alert,
  type AlertKind,
  alertSchedule,
  allowedMoves,
  applyEvent,
  type Case,
  type CaseEvent,
  type ClockConfig,
  dueAlerts,
  type FollowUp,
  followUpPreservation,
  InvalidEventError,
  InvalidRequestError,
  isFinished,
  nextAlertAt,
  openCase,
  type Replay,
  replayCase,
  type Side,
  validateEvent,
  validateRequest,
} from '@pocnet/cases'
import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import { type CborValue, decode, encode, type OpenedEnvelope, type RejectReason } from '@pocnet/protocol'
import type { InboundMessage } from './delivery.ts'
import { NodeError } from './errors.ts'
import type { EventFeed, FeedEventType } from './feed.ts'
import type { Logger } from './log.ts'
import type { DeliveryOutcomes, Outbox } from './outbox.ts'

/** Envelope kinds of case traffic: the opening request, then every later step. */
export const CASE_REQUEST_KIND = 'case-request'
export const CASE_EVENT_KIND = 'case-event'
const PAYLOAD_VERSION = 1
/** How far ahead of the case's seq an incoming event's may be: far more steps than a case takes. */
const MAX_SEQ_AHEAD = 1_000
const ALERT_INTERVAL_MS = 15_000

interface HeldCase {
  opening: Case
  events: CaseEvent[]
  current: Case
  /** This node's side of the case. */
  side: Side
  counterpart: string
}

/** What replaying a case message changed: it opened a case, or it was a step (received, here). */
type Change =
  | { type: 'opened'; caseId: string }
  | {
      type: 'step'
      caseId: string
      kind: string
      before: string
      after: string
      /** This side's steps the replay rejected: they crossed the message. */
      crossed: Array<{ kind: string; why: string }>
    }

/** The change a step made, and the steps of this side's the replay rejected: they crossed it. */
function stepChange(
  caseId: string,
  kind: string,
  before: string,
  held: { side: Side; current: Case },
  replay: Replay,
): Change {
  const crossed = replay.rejected
    .filter((r) => r.event.side === held.side)
    .map((r) => ({ kind: r.event.kind, why: r.error.message }))
  return { type: 'step', caseId, kind, before, after: held.current.status, crossed }
}

type CasePayload =
  | { type: 'request'; caseId: string; openedAt: string; request: unknown }
  | { type: 'event'; caseId: string; event: unknown }

export interface CaseSummary {
  id: string
  type: string
  requester: string
  requested: string
  side: Side
  status: string
  urgency: string
  openedAt: string
  updatedAt: string
  ackDueAt: string | null
  preservationExpiresAt: string | null
  nextAlert: string | null
}

/** JSON values only: drops `undefined` (CBOR has no such thing in pocnet's subset). */
function plain(value: unknown): CborValue {
  return JSON.parse(JSON.stringify(value)) as CborValue
}

function decodePayload(bytes: Uint8Array): CasePayload | undefined {
  try {
    const v = decode(bytes) as Record<string, CborValue>
    if (v.v !== PAYLOAD_VERSION || typeof v.caseId !== 'string') return undefined
    if (v.type === 'request' && typeof v.openedAt === 'string') {
      return { type: 'request', caseId: v.caseId, openedAt: v.openedAt, request: v.request }
    }
    if (v.type === 'event') return { type: 'event', caseId: v.caseId, event: v.event }
    return undefined
  } catch {
    return undefined
  }
}

// Alerts that say a clock ran out, as opposed to one about to.
const MISSED: ReadonlySet<AlertKind> = new Set([
  'acknowledgement-overdue',
  'preservation-expired',
  'extension-unanswered',
])

export class CaseNotFoundError extends NodeError {
  constructor(id: string) {
    super('ERR_CASE_NOT_FOUND', `no case ${id} on this node`)
  }
}

export interface CaseBookInit {
  country: string
  ledger: Ledger
  outbox: Outbox
  feed: EventFeed
  clocks: ClockConfig
  log: Logger
  now?: () => Date
}

/**
 * The cases this node takes part in, on either side. Every case message travels as a sealed
 * envelope; its payload is kept in the ledger beside it, so the book is rebuilt from the
 * ledger on start. Each change is also a "case-state-changed" ledger entry, and each alert a
 * clock raises is recorded once, so auditors see breaches of deadlines.
 */
export class CaseBook {
  readonly #init: CaseBookInit
  readonly #now: () => Date
  readonly #cases = new Map<string, HeldCase>()
  readonly #alerted = new Set<string>()
  /** This side's steps by the message that carries them, until it is delivered or given up. */
  readonly #sentSteps = new Map<string, { caseId: string; eventId: string }>()
  #timer: ReturnType<typeof setInterval> | undefined
  // One change at a time: each step's seq depends on the state the previous one left.
  #queue: Promise<unknown> = Promise.resolve()

  constructor(init: CaseBookInit) {
    this.#init = init
    this.#now = init.now ?? (() => new Date())
  }

  async start(): Promise<void> {
    // In the queue like every change: the outbox may give up on a step (undelivered()) while the
    // book is still being rebuilt, and that must wait for the step to be in the book.
    await this.#serial(() => this.#rebuild())
    this.#timer = setInterval(() => {
      this.checkClocks().catch((err: unknown) =>
        this.#init.log.error('cases.clock-failed', { error: String(err) }),
      )
    }, ALERT_INTERVAL_MS)
    this.#timer.unref()
    await this.checkClocks()
  }

  async #rebuild(): Promise<void> {
    const { ledger } = this.#init
    // scanned, not queried: only the case traffic is held, not every message the node exchanged
    const traffic: LedgerEntry[] = []
    for (const kind of ['message-sent', 'message-received'] as const)
      for await (const e of ledger.scan({ kind }))
        if (e.detail?.messageKind === CASE_REQUEST_KIND || e.detail?.messageKind === CASE_EVENT_KIND)
          traffic.push(e)
    traffic.sort((a, b) => a.seq - b.seq)
    // read by the outbox's start, which the daemon runs first: one scan of receipts, not two
    const outcomes = this.#init.outbox.takeOutcomesAtStart()
    const recorded = await this.#recordedChanges()
    const unrecorded: Array<{ entry: LedgerEntry; change: Change }> = []
    for (const entry of traffic) {
      const change = await this.#replayEntry(entry, outcomes)
      if (change !== undefined && !recorded.has(entry, change)) unrecorded.push({ entry, change })
    }
    for await (const e of ledger.scan({ kind: 'admin-action' })) {
      if (e.detail?.action === 'alert' && typeof e.detail.key === 'string') this.#alerted.add(e.detail.key)
    }
    // A message stored just before a crash, before the book recorded what it changed: recorded
    // now, and (once recorded, never again) shown and paged as it would have been then.
    for (const { entry, change } of unrecorded) await this.#recordReplayed(entry, change)
    // A request received just before a crash may still lack its "delivered" answer.
    for (const held of this.#cases.values()) {
      if (held.side === 'requested' && held.current.status === 'sent')
        await this.#sendDelivered(held.current.id)
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  /**
   * Which case messages the ledger already holds a "case-state-changed" entry for: an opening by
   * its case, a received step by `detail.messageId`. Entries of releases that did not name the
   * message are matched by case and step kind, in order (the book records received messages in
   * the order they were stored, so those a crash left unrecorded are the last of their kind).
   */
  async #recordedChanges(): Promise<{ has(entry: LedgerEntry, change: Change): boolean }> {
    const opened = new Set<string>()
    const messages = new Set<string>()
    const unnamed = new Map<string, number>()
    for await (const e of this.#init.ledger.scan({ kind: 'case-state-changed' })) {
      if (e.caseId === undefined) continue
      if (e.detail?.event === 'opened') opened.add(e.caseId)
      else if (typeof e.detail?.messageId === 'string') messages.add(e.detail.messageId)
      else if (e.actor.startsWith('country:')) {
        const key = `${e.caseId} ${String(e.detail?.event)}`
        unnamed.set(key, (unnamed.get(key) ?? 0) + 1)
      }
    }
    return {
      has: (entry, change) => {
        if (change.type === 'opened') return opened.has(change.caseId)
        // received steps only: nothing is shown or paged for a step of ours
        if (entry.kind !== 'message-received' || entry.messageId === undefined) return true
        if (messages.has(entry.messageId)) return true
        const key = `${change.caseId} ${change.kind}`
        const left = unnamed.get(key) ?? 0
        if (left > 0) unnamed.set(key, left - 1)
        return left > 0
      },
    }
  }

  /** Records (and for a received message, shows) a change replayed at start that the ledger lacks. */
  async #recordReplayed(entry: LedgerEntry, change: Change): Promise<void> {
    const from = entry.counterpart!
    const received = entry.kind === 'message-received'
    await this.#announce(change, from, received ? `country:${from}` : entry.actor, entry.messageId, received)
  }

  /**
   * Records the case change a message made and tells the feed: a case a received request opened,
   * or a received step, with the steps of ours it crossed. The same live and in the rebuild that
   * repairs what a crash left unrecorded.
   */
  async #announce(
    change: Change,
    from: string,
    actor: string,
    messageId: string | undefined,
    received: boolean,
  ): Promise<void> {
    const { caseId } = change
    if (change.type === 'opened') {
      const opening = this.get(caseId).opening
      await this.#recordState(caseId, from, actor, undefined, opening.status, 'opened', messageId)
      if (received)
        this.#publish(
          'new-request',
          caseId,
          `${opening.request.urgency} ${opening.type} request from ${from}`,
        )
      return
    }
    await this.#recordState(caseId, from, actor, change.before, change.after, change.kind, messageId)
    this.#publish('case-message', caseId, `${from}: ${change.kind} (case now ${change.after})`)
    for (const r of change.crossed)
      this.#publish('case-message', caseId, `your ${r.kind} crossed a message from ${from}: ${r.why}`)
  }

  /** Replays one case message into the book; what it changed, for a message that opened a case or a received step. */
  async #replayEntry(entry: LedgerEntry, outcomes: DeliveryOutcomes): Promise<Change | undefined> {
    const sent = entry.kind === 'message-sent'
    const payloadHash = entry.blobs[sent ? 1 : 2]
    if (payloadHash === undefined || entry.counterpart === undefined) return
    // The ledger cannot drop an entry: one whose payload is missing or no longer opens (a damaged
    // disk), or that this release cannot replay, is logged and passed over, never allowed to stop
    // the node from starting.
    let payload: CasePayload | undefined
    let problem = 'missing'
    try {
      const bytes = await this.#init.ledger.getBlob(payloadHash)
      if (bytes !== undefined) {
        payload = decodePayload(bytes)
        problem = 'does not decode'
      }
    } catch (err) {
      problem = (err as Error).message
    }
    if (payload === undefined) {
      this.#init.log.error('cases.unreadable-payload', {
        seq: entry.seq,
        messageId: entry.messageId ?? null,
        problem,
      })
      return
    }
    try {
      if (payload.type === 'request') {
        this.#hold(payload, sent ? 'requester' : 'requested', entry.counterpart)
        return { type: 'opened', caseId: payload.caseId }
      } else {
        const held = this.#cases.get(payload.caseId)
        const checked = validateEvent(payload.event)
        if (held === undefined) return
        if (!checked.ok) {
          // stored under an earlier release's rules, which this one has tightened
          this.#init.log.error('cases.unreplayable-entry', { seq: entry.seq, error: 'InvalidEventError' })
          return
        }
        const messageId = entry.messageId
        // a step of ours the counterpart never took (given up, or refused) is not in the case
        if (sent && messageId !== undefined && outcomes.failed.has(messageId)) return
        // one still on its way may yet be given up: remembered, to take it back then
        if (sent && messageId !== undefined && !outcomes.settled.has(messageId))
          this.#sentSteps.set(messageId, { caseId: payload.caseId, eventId: checked.value.id })
        const events = [...held.events, checked.value]
        const replay = replayCase(held.opening, events)
        const refused = replay.rejected.find((r) => r.event.id === checked.value.id)
        if (refused !== undefined)
          this.#init.log.error('cases.unreplayable-entry', { seq: entry.seq, error: refused.error.name })
        const before = held.current.status
        held.current = replay.case
        held.events = events
        if (sent) return
        return stepChange(payload.caseId, checked.value.kind, before, held, replay)
      }
    } catch (err) {
      this.#init.log.error('cases.unreplayable-entry', { seq: entry.seq, error: (err as Error).name })
    }
  }

  /** Opens the case a request payload describes, held on this node's `side` against `counterpart`. */
  #hold(payload: Extract<CasePayload, { type: 'request' }>, side: Side, counterpart: string): Case {
    const ours = this.#init.country
    const opening = openCase({
      caseId: payload.caseId,
      requester: side === 'requester' ? ours : counterpart,
      requested: side === 'requester' ? counterpart : ours,
      openedAt: payload.openedAt,
      request: payload.request,
    })
    this.#cases.set(payload.caseId, { opening, events: [], current: opening, side, counterpart })
    return opening
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work)
    this.#queue = run.catch(() => {})
    return run
  }

  // ——— reading ———

  get(id: string): HeldCase {
    const held = this.#cases.get(id)
    if (held === undefined) throw new CaseNotFoundError(id)
    return held
  }

  list(): CaseSummary[] {
    return [...this.#cases.values()]
      .map((h) => this.#summary(h))
      .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
  }

  #summary(h: HeldCase): CaseSummary {
    const c = h.current
    const schedule = alertSchedule(c, this.#init.clocks)
    return {
      id: c.id,
      type: c.type,
      requester: c.requester,
      requested: c.requested,
      side: h.side,
      status: c.status,
      urgency: c.request.urgency,
      openedAt: c.openedAt,
      updatedAt: c.updatedAt,
      ackDueAt: schedule.find((a) => a.kind === 'acknowledgement-overdue')?.dueAt ?? null,
      preservationExpiresAt: c.preservation?.current.expiresAt ?? null,
      nextAlert: nextAlertAt(c, this.#now(), this.#init.clocks) ?? null,
    }
  }

  detail(id: string): {
    case: Case
    side: Side
    allowedMoves: ReturnType<typeof allowedMoves>
    /** The acknowledgement deadline while none has come, and the next alert: as `list()` gives them. */
    ackDueAt: string | null
    nextAlert: string | null
  } {
    const held = this.get(id)
    const { ackDueAt, nextAlert } = this.#summary(held)
    return {
      case: held.current,
      side: held.side,
      allowedMoves: allowedMoves(held.current, held.side),
      ackDueAt,
      nextAlert,
    }
  }

  // ——— acting ———

  /** Validates a request form, opens the case and queues its first message. Throws InvalidRequestError listing every problem. */
  openRequest(
    to: string,
    form: unknown,
    actor: string,
    idempotencyKey?: string,
  ): Promise<{ caseId: string; messageId: string; repeated: boolean }> {
    return this.#serial(() => this.#openRequest(to, form, actor, idempotencyKey))
  }

  async #openRequest(
    to: string,
    form: unknown,
    actor: string,
    idempotencyKey: string | undefined,
  ): Promise<{ caseId: string; messageId: string; repeated: boolean }> {
    if (idempotencyKey !== undefined) {
      const earlier = await this.#init.outbox.findByKey(idempotencyKey)
      if (earlier !== undefined)
        return { caseId: earlier.caseId, messageId: earlier.messageId, repeated: true }
    }
    const validated = validateRequest(form)
    if (!validated.ok) throw new InvalidRequestError(validated.problems)
    const openedAt = this.#now().toISOString()
    const day = openedAt.slice(0, 10).replaceAll('-', '')
    const caseId = `${this.#init.country}-${day}-${randomBytes(4).toString('hex')}`
    const opening = openCase({
      caseId,
      requester: this.#init.country,
      requested: to,
      openedAt,
      request: validated.value,
    })
    const payload = encode(
      plain({ v: PAYLOAD_VERSION, type: 'request', caseId, openedAt, request: validated.value }),
    )
    const item = await this.#init.outbox.submit({
      to,
      caseId,
      kind: CASE_REQUEST_KIND,
      payload,
      actor,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    })
    this.#cases.set(caseId, { opening, events: [], current: opening, side: 'requester', counterpart: to })
    await this.#recordState(caseId, to, actor, undefined, opening.status, 'opened', item.messageId)
    return { caseId, messageId: item.messageId, repeated: false }
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
    return this.#serial(() => this.#addEvent(caseId, fields, actor))
  }

  async #addEvent(
    caseId: string,
    fields: Record<string, unknown>,
    actor: string,
  ): Promise<{ status: string; messageId: string }> {
    const held = this.get(caseId)
    const event = {
      ...fields,
      id: randomBytes(16).toString('hex'),
      seq: held.current.seq + 1,
      at: this.#now().toISOString(),
      side: held.side,
    }
    const checked = validateEvent(event)
    if (!checked.ok) throw new InvalidEventError(checked.problems)
    const before = held.current.status
    applyEvent(held.current, checked.value) // throws before anything is sent
    const payload = encode(plain({ v: PAYLOAD_VERSION, type: 'event', caseId, event: checked.value }))
    const item = await this.#init.outbox.submit({
      to: held.counterpart,
      caseId,
      kind: CASE_EVENT_KIND,
      payload,
      actor,
    })
    held.events.push(checked.value)
    held.current = replayCase(held.opening, held.events).case
    if (!item.repeated) this.#sentSteps.set(item.messageId, { caseId, eventId: checked.value.id })
    await this.#recordState(
      caseId,
      held.counterpart,
      actor,
      before,
      held.current.status,
      checked.value.kind,
      item.messageId,
    )
    await this.checkClocks()
    return { status: held.current.status, messageId: item.messageId }
  }

  /**
   * The outbox gave up on a message (expired undelivered, or refused for good). If it carried a
   * step of ours, the counterpart never took it: the step is taken back out of the case, so both
   * sides hold the same case, and the change is recorded and shown.
   */
  undelivered(messageId: string, why: string): Promise<void> {
    return this.#serial(async () => {
      const step = this.#sentSteps.get(messageId)
      this.#sentSteps.delete(messageId)
      const held = step === undefined ? undefined : this.#cases.get(step.caseId)
      if (step === undefined || held === undefined) return
      const taken = held.events.find((e) => e.id === step.eventId)
      if (taken === undefined) return
      const before = held.current.status
      held.events = held.events.filter((e) => e.id !== step.eventId)
      held.current = replayCase(held.opening, held.events).case
      await this.#recordState(
        step.caseId,
        held.counterpart,
        'node',
        before,
        held.current.status,
        `${taken.kind} undelivered`,
      )
      this.#publish(
        'case-message',
        step.caseId,
        `your ${taken.kind} never reached ${held.counterpart} (${why}): taken back, case now ${held.current.status}`,
      )
      // the requester must still learn its request arrived: "delivered" is sent again, as at start
      if (taken.kind === 'delivered') await this.#sendDelivered(step.caseId)
      await this.checkClocks()
    })
  }

  /** The outbox delivered a message: a step it carried is settled and need not be remembered. */
  delivered(messageId: string): void {
    this.#sentSteps.delete(messageId)
  }

  /**
   * The pre-filled Art. 30 follow-up preservation request to a third country a partial disclosure
   * named: the latest disclosure naming `thirdCountry`, or the latest of all without it (a path
   * may cross several third countries, each disclosed in turn).
   */
  followUp(caseId: string, thirdCountry?: string): FollowUp {
    const held = this.get(caseId)
    const disclosures = held.current.history.filter((e) => e.kind === 'partially-disclosed')
    const disclosure = [...disclosures]
      .reverse()
      .find((e) => thirdCountry === undefined || e.thirdCountry === thirdCountry)
    if (disclosure === undefined) {
      const named = [...new Set(disclosures.map((e) => e.thirdCountry))]
      throw new NodeError(
        'ERR_NO_DISCLOSURE',
        thirdCountry === undefined || named.length === 0
          ? `case ${caseId} has no Art. 30 partial disclosure to follow up`
          : `case ${caseId} has no Art. 30 disclosure naming ${thirdCountry} (its disclosures name ${named.join(', ')})`,
      )
    }
    return followUpPreservation(held.current, disclosure, this.#now().toISOString())
  }

  // ——— receiving ———

  /** Decides, before a case message is stored, whether it may be: a wrong one gets a "malformed" receipt. */
  check(opened: OpenedEnvelope, fromCountry: string): RejectReason | undefined {
    if (opened.kind !== CASE_REQUEST_KIND && opened.kind !== CASE_EVENT_KIND) return undefined
    const payload = decodePayload(opened.payload)
    const refuse = (why: string): RejectReason => {
      this.#init.log.warn('cases.refused', { from: fromCountry, messageId: opened.messageIdHex, why })
      return 'malformed'
    }
    if (payload === undefined || payload.caseId !== opened.caseId) return refuse('payload')
    if (opened.kind === CASE_REQUEST_KIND) {
      if (payload.type !== 'request') return refuse('type')
      if (this.#cases.has(payload.caseId)) return refuse('case id exists')
      try {
        openCase({
          caseId: payload.caseId,
          requester: fromCountry,
          requested: this.#init.country,
          openedAt: payload.openedAt,
          request: payload.request,
        })
      } catch {
        return refuse('request does not validate')
      }
      return undefined
    }
    if (payload.type !== 'event') return refuse('type')
    const held = this.#cases.get(payload.caseId)
    if (held === undefined) {
      // Envelopes travel concurrently: a step may overtake the request that opens its case.
      // "try-later" makes the sender retry; once the request is in, the step is accepted.
      this.#init.log.info('cases.early-event', { from: fromCountry, messageId: opened.messageIdHex })
      return 'try-later'
    }
    if (held.counterpart !== fromCountry) return refuse('case of another counterpart')
    const checked = validateEvent(payload.event)
    if (!checked.ok) return refuse('event does not validate')
    if (checked.value.side === held.side) return refuse('side')
    // replayCase keeps one event per id: a step reusing the id of one the case holds (a retry
    // never gets here: the replay memory answers it) could knock that step out, on both sides
    if (held.events.some((e) => e.id === checked.value.id)) return refuse('event id exists')
    // A Lamport seq is one more than the highest the sender saw. One far beyond ours would make
    // every step we send after it carry a seq past what validateEvent takes: the case locked.
    if (checked.value.seq > held.current.seq + MAX_SEQ_AHEAD) return refuse('seq too far ahead')
    return undefined
  }

  /** Applies an accepted case message (already stored durably in the ledger). */
  receive(message: InboundMessage, opened: OpenedEnvelope): Promise<void> {
    return this.#serial(() => this.#receive(message, opened))
  }

  async #receive(message: InboundMessage, opened: OpenedEnvelope): Promise<void> {
    if (opened.kind !== CASE_REQUEST_KIND && opened.kind !== CASE_EVENT_KIND) return
    const payload = decodePayload(opened.payload)
    if (payload === undefined) return
    const actor = `country:${message.from}`
    if (payload.type === 'request') {
      this.#hold(payload, 'requested', message.from)
      await this.#announce(
        { type: 'opened', caseId: payload.caseId },
        message.from,
        actor,
        message.messageId,
        true,
      )
      await this.#sendDelivered(payload.caseId)
      return
    }
    const held = this.get(payload.caseId)
    const checked = validateEvent(payload.event)
    if (!checked.ok) return
    const before = held.current.status
    held.events.push(checked.value)
    const replay = replayCase(held.opening, held.events)
    held.current = replay.case
    const change = stepChange(payload.caseId, checked.value.kind, before, held, replay)
    await this.#announce(change, message.from, actor, message.messageId, true)
    await this.checkClocks()
  }

  async #sendDelivered(caseId: string): Promise<void> {
    await this.#addEvent(caseId, { kind: 'delivered' }, 'node').catch((err: unknown) =>
      this.#init.log.error('cases.delivered-failed', {
        caseId,
        error: String((err as Error).message ?? err),
      }),
    )
  }

  async #recordState(
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

  #publish(
    type: FeedEventType,
    caseId: string,
    summary: string,
    detail?: Record<string, string | number | null>,
  ): void {
    this.#init.feed.publish({
      type,
      caseId,
      at: this.#now().toISOString(),
      summary,
      ...(detail ? { detail } : {}),
    })
  }

  /** Raises each due alert of this node's side once (recorded in the ledger, so once across restarts too). */
  async checkClocks(): Promise<Alert[]> {
    const raised: Alert[] = []
    const now = this.#now()
    for (const held of this.#cases.values()) {
      if (isFinished(held.current)) continue
      for (const alert of dueAlerts(held.current, now, this.#init.clocks)) {
        if (alert.side !== held.side || this.#alerted.has(alert.key)) continue
        this.#alerted.add(alert.key)
        await this.#init.ledger.append({
          kind: 'admin-action',
          actor: 'node',
          caseId: alert.caseId,
          counterpart: held.counterpart,
          detail: { action: 'alert', key: alert.key, alert: alert.kind, dueAt: alert.dueAt },
        })
        this.#publish(
          MISSED.has(alert.kind) ? 'deadline-missed' : 'deadline-near',
          alert.caseId,
          `${alert.kind} (due ${alert.dueAt}; ${this.#init.clocks.basis})`,
          { alert: alert.kind, dueAt: alert.dueAt, expiresAt: alert.expiresAt ?? null },
        )
        raised.push(alert)
      }
    }
    return raised
  }
}
