import { randomBytes } from 'node:crypto'
import {
  applyEvent,
  type FollowUp,
  followUpPreservation,
  InvalidEventError,
  InvalidRequestError,
  messageTimeProblem,
  openCase,
  type Problem,
  replayCase,
  validateEvent,
  validateRequest,
} from '@pocnet/cases'
import type { OpenedEnvelope, RejectReason } from '@pocnet/protocol'
import type { CaseAttachments } from '../attachments/case-hooks.ts'
import { attachmentsOfEvent } from '../attachments/of-case.ts'
import type { InboundMessage } from '../delivery.ts'
import { NodeError } from '../errors.ts'
import { type Logger, LogThrottle } from '../log.ts'
import type { Outbox } from '../outbox.ts'
import type { CaseAlerts } from './alerts.ts'
import { type HeldCases, stepChange } from './held.ts'
import { CASE_EVENT_KIND, CASE_REQUEST_KIND, decodePayload, encodePayload } from './payload.ts'
import type { CaseRecorder } from './record.ts'

/** How far ahead of the case's seq an incoming event's may be: far more steps than a case takes. */
const MAX_SEQ_AHEAD = 1_000

export interface LiveCasesInit {
  country: string
  outbox: Outbox
  log: Logger
  cases: HeldCases
  recorder: CaseRecorder
  alerts: CaseAlerts
  now: () => Date
  /** The book's: aborted when it stops, ending a submission waiting on the network. */
  signal: AbortSignal
  /** Attachments that travel: checked and offered with the message that names them, fetched when one arrives. */
  attachments?: CaseAttachments
}

/**
 * The case book at work: opens cases and adds this side's steps (checked, then sent through the
 * outbox and recorded), checks and applies what counterparts send, and takes back a step the
 * outbox gave up on. Not queued itself: the book runs one change at a time, since each step's seq
 * depends on the state the previous one left.
 */
export class LiveCases {
  readonly #init: LiveCasesInit
  /** Lines about what a counterpart sends (refused, early), by reason: one per frame would let it flood the log. */
  readonly #received = new LogThrottle()

  constructor(init: LiveCasesInit) {
    this.#init = init
  }

  // ——— acting ———

  /** Validates a request form, opens the case and queues its first message. Throws InvalidRequestError listing every problem. */
  async openRequest(
    to: string,
    form: unknown,
    actor: string,
    idempotencyKey: string | undefined,
  ): Promise<{ caseId: string; messageId: string; repeated: boolean }> {
    const { country, outbox, cases, recorder } = this.#init
    if (idempotencyKey !== undefined) {
      const earlier = await outbox.findByKey(idempotencyKey)
      if (earlier !== undefined)
        return { caseId: earlier.caseId, messageId: earlier.messageId, repeated: true }
    }
    const validated = validateRequest(form)
    if (!validated.ok) throw new InvalidRequestError(validated.problems)
    const openedAt = this.#init.now().toISOString()
    const createdAt = signedNow(outbox, 'openedAt', openedAt, (p) => new InvalidRequestError(p))
    const day = openedAt.slice(0, 10).replaceAll('-', '')
    const caseId = `${country}-${day}-${randomBytes(4).toString('hex')}`
    const opening = openCase({
      caseId,
      requester: country,
      requested: to,
      openedAt,
      request: validated.value,
    })
    const payload = encodePayload({ type: 'request', caseId, openedAt, request: validated.value })
    await this.#init.attachments?.prepareOffer(caseId, to, validated.value.attachments)
    const item = await outbox.submit(
      {
        to,
        caseId,
        kind: CASE_REQUEST_KIND,
        payload,
        actor,
        createdAt,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      },
      { signal: this.#init.signal },
    )
    await this.#init.attachments?.offered(item.messageId, validated.value.attachments)
    cases.add({ opening, events: [], current: opening, side: 'requester', counterpart: to })
    await recorder.recordState(caseId, to, actor, undefined, opening.status, 'opened', item.messageId)
    return { caseId, messageId: item.messageId, repeated: false }
  }

  /**
   * Adds this side's next step to a case: checked against the state machine first (an illegal
   * step throws IllegalTransitionError and nothing is sent), then sent and recorded.
   */
  async addEvent(
    caseId: string,
    fields: Record<string, unknown>,
    actor: string,
  ): Promise<{ status: string; messageId: string }> {
    const { outbox, cases, recorder } = this.#init
    const held = cases.get(caseId)
    const event = {
      ...fields,
      id: randomBytes(16).toString('hex'),
      seq: held.current.seq + 1,
      at: this.#init.now().toISOString(),
      side: held.side,
    }
    const checked = validateEvent(event)
    if (!checked.ok) throw new InvalidEventError(checked.problems)
    const createdAt = signedNow(outbox, 'at', event.at, (p) => new InvalidEventError(p))
    const before = held.current.status
    applyEvent(held.current, checked.value) // throws before anything is sent
    const payload = encodePayload({ type: 'event', caseId, event: checked.value })
    const attached = attachmentsOfEvent(checked.value)
    await this.#init.attachments?.prepareOffer(caseId, held.counterpart, attached)
    const item = await outbox.submit(
      { to: held.counterpart, caseId, kind: CASE_EVENT_KIND, payload, actor, createdAt },
      { signal: this.#init.signal },
    )
    await this.#init.attachments?.offered(item.messageId, attached)
    held.events.push(checked.value)
    held.current = replayCase(held.opening, held.events).case
    if (!item.repeated) cases.sentSteps.set(item.messageId, { caseId, eventId: checked.value.id })
    await recorder.recordState(
      caseId,
      held.counterpart,
      actor,
      before,
      held.current.status,
      checked.value.kind,
      item.messageId,
    )
    await this.#init.alerts.check()
    return { status: held.current.status, messageId: item.messageId }
  }

  /**
   * The outbox gave up on a message (expired undelivered, or refused for good). If it carried a
   * step of ours, the counterpart never took it: the step is taken back out of the case, so both
   * sides hold the same case, and the change is recorded and shown.
   */
  async undelivered(messageId: string, why: string): Promise<void> {
    const { cases, recorder } = this.#init
    const step = cases.sentSteps.get(messageId)
    cases.sentSteps.delete(messageId)
    const held = step === undefined ? undefined : cases.find(step.caseId)
    if (step === undefined || held === undefined) return
    const taken = held.events.find((e) => e.id === step.eventId)
    if (taken === undefined) return
    const before = held.current.status
    held.events = held.events.filter((e) => e.id !== step.eventId)
    held.current = replayCase(held.opening, held.events).case
    await recorder.recordState(
      step.caseId,
      held.counterpart,
      'node',
      before,
      held.current.status,
      `${taken.kind} undelivered`,
    )
    recorder.publish(
      'case-message',
      step.caseId,
      `your ${taken.kind} never reached ${held.counterpart} (${why}): taken back, case now ${held.current.status}`,
    )
    // the requester must still learn its request arrived: "delivered" is sent again, as at start
    if (taken.kind === 'delivered') await this.sendDelivered(step.caseId)
    await this.#init.alerts.check()
  }

  /** The outbox delivered a message: a step it carried is settled and need not be remembered. */
  delivered(messageId: string): void {
    this.#init.cases.sentSteps.delete(messageId)
  }

  /**
   * The pre-filled Art. 30 follow-up preservation request to a third country a partial disclosure
   * named: the latest disclosure naming `thirdCountry`, or the latest of all without it (a path
   * may cross several third countries, each disclosed in turn).
   */
  followUp(caseId: string, thirdCountry?: string): FollowUp {
    const held = this.#init.cases.get(caseId)
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
    return followUpPreservation(held.current, disclosure, this.#init.now().toISOString())
  }

  /** The requested side's "delivered" step; a failure is logged, the case stays "sent" until the next start. */
  async sendDelivered(caseId: string): Promise<void> {
    await this.addEvent(caseId, { kind: 'delivered' }, 'node').catch((err: unknown) =>
      this.#init.log.error('cases.delivered-failed', {
        caseId,
        error: String((err as Error).message ?? err),
      }),
    )
  }

  // ——— receiving ———

  /** Decides, before a case message is stored, whether it may be: a wrong one gets a "malformed" receipt. */
  check(opened: OpenedEnvelope, fromCountry: string): RejectReason | undefined {
    if (opened.kind !== CASE_REQUEST_KIND && opened.kind !== CASE_EVENT_KIND) return undefined
    const { cases, log } = this.#init
    const payload = decodePayload(opened.payload)
    const refuse = (why: string): RejectReason => {
      const refused = this.#received.hit(`refused ${why}`)
      if (refused !== undefined)
        log.warn('cases.refused', {
          from: fromCountry,
          messageId: opened.messageIdHex,
          why,
          refusedSinceStart: refused,
        })
      return 'malformed'
    }
    if (payload === undefined || payload.caseId !== opened.caseId) return refuse('payload')
    if (opened.kind === CASE_REQUEST_KIND) {
      if (payload.type !== 'request') return refuse('type')
      if (cases.has(payload.caseId)) return refuse('case id exists')
      if (messageTimeProblem('openedAt', payload.openedAt, opened.createdAt) !== undefined)
        return refuse('openedAt outside the clock skew of the signed time')
      let opening: ReturnType<typeof openCase>
      try {
        opening = openCase({
          caseId: payload.caseId,
          requester: fromCountry,
          requested: this.#init.country,
          openedAt: payload.openedAt,
          request: payload.request,
        })
      } catch {
        return refuse('request does not validate')
      }
      return this.#init.attachments?.admit(opened.messageIdHex, opening.request.attachments)
    }
    if (payload.type !== 'event') return refuse('type')
    const held = cases.find(payload.caseId)
    if (held === undefined) {
      // Envelopes travel concurrently: a step may overtake the request that opens its case.
      // "try-later" makes the sender retry; once the request is in, the step is accepted.
      const early = this.#received.hit('early-event')
      if (early !== undefined)
        log.info('cases.early-event', {
          from: fromCountry,
          messageId: opened.messageIdHex,
          earlySinceStart: early,
        })
      return 'try-later'
    }
    if (held.counterpart !== fromCountry) return refuse('case of another counterpart')
    const checked = validateEvent(payload.event)
    if (!checked.ok) return refuse('event does not validate')
    if (checked.value.side === held.side) return refuse('side')
    if (messageTimeProblem('at', checked.value.at, opened.createdAt) !== undefined)
      return refuse('at outside the clock skew of the signed time')
    // replayCase keeps one event per id: a step reusing the id of one the case holds (a retry
    // never gets here: the replay memory answers it) could knock that step out, on both sides
    if (held.events.some((e) => e.id === checked.value.id)) return refuse('event id exists')
    // A Lamport seq is one more than the highest the sender saw. One far beyond ours would make
    // every step we send after it carry a seq past what validateEvent takes: the case locked.
    if (checked.value.seq > held.current.seq + MAX_SEQ_AHEAD) return refuse('seq too far ahead')
    return this.#init.attachments?.admit(opened.messageIdHex, attachmentsOfEvent(checked.value))
  }

  /** Applies an accepted case message (already stored durably in the ledger). */
  async receive(message: InboundMessage, opened: OpenedEnvelope): Promise<void> {
    if (opened.kind !== CASE_REQUEST_KIND && opened.kind !== CASE_EVENT_KIND) return
    const { cases, recorder } = this.#init
    const payload = decodePayload(opened.payload)
    if (payload === undefined) return
    const actor = `country:${message.from}`
    if (payload.type === 'request') {
      cases.hold(payload, 'requested', message.from, true)
      try {
        await recorder.announce(
          { type: 'opened', caseId: payload.caseId },
          message.from,
          actor,
          message.messageId,
          true,
        )
      } finally {
        // shown even when recording failed: the rebuild at the next start records it
        cases.show(payload.caseId)
        // and its attachments fetched, taking up the quota set aside for them when it was checked
        await this.#init.attachments?.expect(
          payload.caseId,
          message.from,
          message.messageId,
          cases.get(payload.caseId).current.request.attachments,
        )
      }
      await this.sendDelivered(payload.caseId)
      return
    }
    const held = cases.get(payload.caseId)
    const checked = validateEvent(payload.event)
    if (!checked.ok) return
    const before = held.current.status
    held.events.push(checked.value)
    const replay = replayCase(held.opening, held.events)
    held.current = replay.case
    const change = stepChange(payload.caseId, checked.value.kind, before, held, replay)
    await this.#init.attachments?.expect(
      payload.caseId,
      message.from,
      message.messageId,
      attachmentsOfEvent(checked.value),
    )
    await recorder.announce(change, message.from, actor, message.messageId, true)
    await this.#init.alerts.check()
  }
}

/**
 * The creation time to sign a case message of time `at` with: `at` itself, once it is within the
 * protocol's clock skew of the outbox's clock (a case clock moved away from it, as a test clock
 * is, would make the receiver refuse the envelope or the message); otherwise `refusal` is thrown
 * and nothing is sent.
 */
function signedNow(
  outbox: Outbox,
  path: string,
  at: string,
  refusal: (problems: readonly Problem[]) => Error,
): number {
  const problem = messageTimeProblem(path, at, outbox.now())
  if (problem !== undefined) throw refusal([problem])
  return Date.parse(at)
}
