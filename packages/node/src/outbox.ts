import { randomInt } from 'node:crypto'
import type { AbortOptions } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { type NodeIdentity, peerIdFromEd25519PublicKey, sha256, toHex } from '@pocnet/crypto'
import type { RosterState } from '@pocnet/directory'
import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import { MAX_RECEIPT_BYTES, type RejectReason, seal, verifyReceipt } from '@pocnet/protocol'
import { RequestStreams } from '@pocnet/protocol/reqresp'
import { DELIVERY_PROTOCOL, OUTBOX_CONCURRENCY, OUTBOX_STOP_GRACE_MS, SEALS_PER_TURN } from './constants.ts'
import { DeliveryError } from './errors.ts'
import { FINAL_REASONS } from './final-reasons.ts'
import type { Host } from './host.ts'
import { TypedListeners } from './listeners.ts'
import type { Logger } from './log.ts'
import { type AttemptRecord, attemptFailure, noteFailedAttempt } from './outbox-attempts.ts'
import { SealQueue } from './seal-queue.ts'
import { emptyStartIndex, foldFrom, type StartIndex } from './snapshot/start-index.ts'

/** Where a counterpart's node is, from its directory record. */
export interface Counterpart {
  country: string
  signingPublicKey: Uint8Array
  boxPublicKey: Uint8Array
  /** Present when the counterpart's record advertises hybrid sealing. */
  kemPublicKey?: Uint8Array
  addresses: string[]
}

export interface OutboxItem {
  messageId: string
  to: string
  caseId: string
  kind: string
  envelope: Uint8Array
  envelopeHash: Uint8Array
  queuedAt: number
  attempts: number
  nextAttemptAt: number
  lastError: string | undefined
  /** The latest failed attempts since this start, oldest first (outbox-attempts.ts). */
  recentAttempts: AttemptRecord[]
}

/** Why the outbox gave up on a message: refused for good, or no receipt before expiry. */
export type OutboxFailure = { status: 'rejected'; reason: RejectReason } | { status: 'expired' }

export type OutboxOutcome = { status: 'accepted'; receivedAt: number } | OutboxFailure

/** What the outbox tells its listeners (`outbox.on`), once per message, after the ledger holds it. */
export interface OutboxEvents {
  /** A signed receipt accepted the message. */
  delivered: { item: OutboxItem; receivedAt: number }
  /** The outbox gave up on the message. */
  failed: { item: OutboxItem; outcome: OutboxFailure }
}

export interface OutboxPolicy {
  initialBackoffMs: number
  maxBackoffMs: number
  expiryMs: number
}

export interface OutboxInit {
  host: Host
  identity: NodeIdentity
  network: string
  ledger: Ledger
  getRoster: () => RosterState
  /** Resolves a country through the directory; called on every attempt since addresses change. */
  resolve: (country: string, options?: AbortOptions) => Promise<Counterpart>
  limits: { maxEnvelopeBytes: number; readTimeoutMs: number }
  /**
   * Whether to seal hybrid to a counterpart whose record advertises an X-Wing key (docs/protocol.md
   * §5); true unless told otherwise.
   */
  sealsHybrid?: boolean
  policy: OutboxPolicy
  log: Logger
  /** The wall clock (ms since the epoch): creation and queue times, expiry. */
  now?: () => number
  /** A monotonic clock (ms) timing the retries, so a wall clock set back holds nothing up. */
  monotonic?: () => number
  concurrency?: number
}

export interface SubmitInput {
  to: string
  caseId: string
  kind: string
  payload: Uint8Array
  /** Ledger actor: `user:<name>` or `node`. */
  actor: string
  /**
   * A client's key for this submission: submitting again with the same key returns the first
   * message instead of making a second one, so a client cut off mid-call can safely retry.
   */
  idempotencyKey?: string
  /**
   * The creation time the envelope is signed with (default: the outbox's clock when it seals): a
   * case message's own time, so the receiver finds the two within the protocol's clock skew.
   */
  createdAt?: number
}

/**
 * The durable outbox. A message is sealed and written to the ledger ("message-sent", with
 * the envelope bytes in the same batch) before `submit` returns; delivery then runs in the
 * background with exponential backoff and full jitter until a signed receipt arrives, a
 * final rejection, or expiry — each recorded in the ledger. The queue itself is derived
 * from the ledger at start, so a restart (or kill -9) resumes exactly where it was.
 */
export class Outbox {
  readonly #init: OutboxInit
  readonly #now: () => number
  readonly #monotonic: () => number
  /** When each message's next attempt is due, on the monotonic clock (absent: now). */
  readonly #dueAt = new Map<string, number>()
  readonly #pending = new Map<string, OutboxItem>()
  /** Attempts under way, by message, until their outcome is in the ledger: stop() waits for them. */
  readonly #running = new Map<string, Promise<void>>()
  /**
   * Attempts still waiting on the network: what the concurrency limit counts. An attempt gives its
   * slot back once its outcome is known, while the ledger records it (grouped with the others').
   */
  #sending = 0
  /** Aborted by stop(): what attempts and submissions still wait for on the network ends. */
  #shutdown = new AbortController()
  readonly #streams: RequestStreams
  /** Seals a burst a group at a time, so the ledger writes and sends the groups sealed before. */
  readonly #sealing = new SealQueue(SEALS_PER_TURN)
  /** Idempotency key → ledger seq of the "message-sent" entry it produced. */
  readonly #byKey = new Map<string, number>()
  readonly #keyInFlight = new Map<string, Promise<OutboxItem>>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = true
  #delivered = 0
  readonly #events: TypedListeners<OutboxEvents>

  constructor(init: OutboxInit) {
    this.#init = init
    this.#events = new TypedListeners((type, err) =>
      init.log.error('outbox.listener-failed', { event: type, error: String((err as Error).message ?? err) }),
    )
    this.#now = init.now ?? Date.now
    this.#monotonic = init.monotonic ?? (() => performance.now())
    this.#streams = new RequestStreams(init.host, DELIVERY_PROTOCOL, {
      maxResponseBytes: MAX_RECEIPT_BYTES,
      timeoutMs: init.limits.readTimeoutMs,
    })
  }

  /** Subscribes to what becomes of sent messages; returns the unsubscribe function. */
  on<K extends keyof OutboxEvents>(type: K, listener: (event: OutboxEvents[K]) => void): () => void {
    return this.#events.on(type, listener)
  }

  get depth(): number {
    return this.#pending.size
  }

  get delivered(): number {
    return this.#delivered
  }

  /** Queue time of the oldest undelivered message, if any. */
  get oldestQueuedAt(): number | undefined {
    let oldest: number | undefined
    for (const item of this.#pending.values())
      if (oldest === undefined || item.queuedAt < oldest) oldest = item.queuedAt
    return oldest
  }

  /** The message `messageId` while it waits to be delivered, else undefined. */
  pending(messageId: string): OutboxItem | undefined {
    return this.#pending.get(messageId)
  }

  list(): OutboxItem[] {
    return [...this.#pending.values()].sort((a, b) => a.queuedAt - b.queuedAt)
  }

  /**
   * Resumes the messages the index names as unsettled (snapshot/start-index.ts; folded from the
   * whole ledger when none is given), reading only their entries and envelopes.
   */
  async start(index?: StartIndex): Promise<void> {
    const { ledger } = this.#init
    if (index === undefined) {
      index = emptyStartIndex()
      await foldFrom(ledger, index, 0)
    }
    for (const [key, seq] of index.idempotencyKeys) this.#byKey.set(key, seq)
    for (const { seq } of index.unsettled.values()) {
      const sent = await ledger.get(seq)
      if (sent.kind !== 'message-sent' || sent.messageId === undefined) continue
      // The ledger cannot drop an entry: an envelope a damaged disk lost, or that no longer opens,
      // is logged at each start and left out, never allowed to stop the node from starting.
      let envelope: Uint8Array | undefined
      let problem = 'missing'
      try {
        envelope = sent.blobs[0] === undefined ? undefined : await ledger.getBlob(sent.blobs[0])
      } catch (err) {
        problem = (err as Error).message
      }
      if (envelope === undefined) {
        this.#init.log.error('outbox.unreadable-envelope', {
          messageId: sent.messageId,
          seq: sent.seq,
          to: sent.counterpart,
          problem,
        })
        continue
      }
      this.#pending.set(sent.messageId, this.#itemOf(sent, envelope))
    }
    this.#stopped = false
    this.#shutdown = new AbortController()
    if (this.#pending.size > 0) this.#init.log.info('outbox.resumed', { pending: this.#pending.size })
    this.#schedule(0)
  }

  #itemOf(sent: LedgerEntry, envelope: Uint8Array): OutboxItem {
    return {
      messageId: sent.messageId!,
      to: sent.counterpart!,
      caseId: sent.caseId ?? '',
      kind: String(sent.detail?.messageKind ?? ''),
      envelope,
      envelopeHash: sha256(envelope),
      queuedAt: sent.time,
      attempts: 0,
      nextAttemptAt: 0,
      lastError: undefined,
      recentAttempts: [],
    }
  }

  /**
   * Starts no more attempts and waits for those under way: one that has sent its envelope gets
   * OUTBOX_STOP_GRACE_MS for its receipt (recorded now, not asked for again after a restart), then
   * the network waits are aborted and the attempt ends as a failure to retry at the next start.
   */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const running = Promise.allSettled(this.#running.values())
    let grace: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      running,
      new Promise((resolve) => (grace = setTimeout(resolve, OUTBOX_STOP_GRACE_MS))),
    ])
    clearTimeout(grace)
    this.#shutdown.abort()
    await running
    await this.#streams.close()
  }

  /** The outbox's clock: the creation time an envelope sealed now is signed with. */
  now(): number {
    return this.#now()
  }

  /**
   * Seals `payload` to the counterpart and makes it durable (ledger entry + envelope, one
   * batch). Resolves once it is safe on disk; delivery happens afterwards.
   */
  async submit(input: SubmitInput, options: AbortOptions = {}): Promise<OutboxItem & { repeated: boolean }> {
    const key = input.idempotencyKey
    if (key === undefined) return { ...(await this.#submit(input, options)), repeated: false }
    const earlier = await this.findByKey(key)
    if (earlier !== undefined) return { ...earlier, repeated: true }
    let work = this.#keyInFlight.get(key)
    if (work !== undefined) return { ...(await work), repeated: true }
    work = this.#submit(input, options)
    this.#keyInFlight.set(key, work)
    try {
      return { ...(await work), repeated: false }
    } finally {
      this.#keyInFlight.delete(key)
    }
  }

  /** The message an idempotency key produced, if any. */
  async findByKey(key: string): Promise<OutboxItem | undefined> {
    const seq = this.#byKey.get(key)
    if (seq === undefined) return undefined
    const sent = await this.#init.ledger.get(seq)
    const envelope = await this.#init.ledger.getBlob(sent.blobs[0]!)
    if (envelope === undefined) throw new Error(`envelope of message ${sent.messageId} is missing`)
    return this.#pending.get(sent.messageId!) ?? this.#itemOf(sent, envelope)
  }

  async #submit(input: SubmitInput, options: AbortOptions): Promise<OutboxItem> {
    const counterpart = await this.#init.resolve(input.to, options)
    const sealed = await this.#sealing.run(() =>
      seal({
        sender: this.#init.identity,
        recipient: {
          signingPublicKey: counterpart.signingPublicKey,
          boxPublicKey: counterpart.boxPublicKey,
          ...(this.#init.sealsHybrid !== false && counterpart.kemPublicKey !== undefined
            ? { kemPublicKey: counterpart.kemPublicKey }
            : {}),
        },
        networkId: this.#init.network,
        caseId: input.caseId,
        kind: input.kind,
        payload: input.payload,
        createdAt: input.createdAt ?? this.#now(),
        maxBytes: this.#init.limits.maxEnvelopeBytes,
      }),
    )
    const messageId = toHex(sealed.messageId)
    const entry = await this.#init.ledger.append(
      {
        kind: 'message-sent',
        actor: input.actor,
        counterpart: input.to,
        ...(input.caseId === '' ? {} : { caseId: input.caseId }),
        messageId,
        detail: {
          messageKind: input.kind,
          ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
        },
      },
      // the payload is kept beside the envelope: sealed to the counterpart, it cannot be reopened here
      { blobs: [sealed.bytes, input.payload] },
    )
    const item = this.#itemOf(entry, sealed.bytes)
    this.#pending.set(messageId, item)
    if (input.idempotencyKey !== undefined) this.#byKey.set(input.idempotencyKey, entry.seq)
    this.#init.log.info('outbox.queued', {
      to: input.to,
      messageId,
      kind: input.kind,
      bytes: sealed.bytes.length,
    })
    this.#schedule(0)
    return item
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, delayMs))
  }

  /** Starts due attempts up to the concurrency limit; re-arms the timer for the next one. */
  #pump(): void {
    this.#timer = undefined
    if (this.#stopped) return
    const now = this.#monotonic()
    const limit = this.#init.concurrency ?? OUTBOX_CONCURRENCY
    let next = Number.POSITIVE_INFINITY
    for (const item of this.#pending.values()) {
      if (this.#running.has(item.messageId)) continue
      const due = this.#dueAt.get(item.messageId) ?? now
      if (due > now) {
        next = Math.min(next, due)
        continue
      }
      if (this.#sending >= limit) break
      this.#sending++
      let sending = true
      const release = () => {
        if (!sending) return
        sending = false
        this.#sending--
        this.#schedule(0)
      }
      const attempt = this.#attempt(item, release)
        // an attempt handles its own failures; this is for the ledger failing under it (a full
        // disk, a stop mid-write): logged, and the item stays pending for the next attempt
        .catch((err: unknown) =>
          this.#init.log.error('outbox.attempt-failed', {
            messageId: item.messageId,
            error: String((err as Error).message ?? err),
          }),
        )
        .finally(() => {
          this.#running.delete(item.messageId)
          release()
          this.#schedule(0)
        })
      this.#running.set(item.messageId, attempt)
    }
    if (Number.isFinite(next) && this.#sending < limit) this.#schedule(next - now)
  }

  /** One attempt; `release` gives its concurrency slot back once the outcome is known. */
  async #attempt(item: OutboxItem, release: () => void): Promise<void> {
    const { log, policy } = this.#init
    if (this.#now() - item.queuedAt > policy.expiryMs) {
      await this.#finish(item, { status: 'expired' }, undefined)
      return
    }
    item.attempts++
    const { signal } = this.#shutdown
    try {
      const counterpart = await this.#init.resolve(item.to, { signal })
      const peer = peerIdFromEd25519PublicKey(counterpart.signingPublicKey)
      // Addresses come from the signed directory record; the peer id pins who must answer.
      const addrs = counterpart.addresses.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`))
      const target = addrs.length > 0 ? addrs : peer
      const response = await this.#streams.request(peer, target, item.envelope, { signal })
      const checked = verifyReceipt(response, {
        receiverPublicKey: counterpart.signingPublicKey,
        networkId: this.#init.network,
        envelopeHash: item.envelopeHash,
      })
      if (!checked.ok) throw new DeliveryError('ERR_BAD_RECEIPT', `receipt refused: ${checked.message}`, true)
      const receipt = checked.receipt
      if (receipt.status === 'accepted' || FINAL_REASONS.has(receipt.reason)) release()
      if (receipt.status === 'accepted') {
        await this.#finish(item, { status: 'accepted', receivedAt: receipt.receivedAt }, response)
      } else if (FINAL_REASONS.has(receipt.reason)) {
        await this.#finish(item, { status: 'rejected', reason: receipt.reason }, response)
      } else {
        throw new DeliveryError('ERR_REJECTED_FOR_NOW', `counterpart answered ${receipt.reason}`, true)
      }
    } catch (err) {
      // stopped: the attempt is retried at the next start, from the ledger
      if (signal.aborted) return
      item.lastError = err instanceof DeliveryError ? err.message : attemptFailure(err)
      noteFailedAttempt(item.recentAttempts, this.#now(), item.lastError)
      const ceiling = Math.min(
        policy.maxBackoffMs,
        policy.initialBackoffMs * 2 ** Math.min(item.attempts - 1, 30),
      )
      const delayMs = randomInt(Math.max(1, Math.floor(ceiling / 2)), Math.max(2, ceiling + 1))
      this.#dueAt.set(item.messageId, this.#monotonic() + delayMs)
      // shown to people (GET /outbox) as a wall-clock time; the schedule itself is monotonic
      item.nextAttemptAt = this.#now() + delayMs
      log.info('outbox.retry', {
        to: item.to,
        messageId: item.messageId,
        attempt: item.attempts,
        error: item.lastError,
        inMs: delayMs,
      })
    }
  }

  async #finish(item: OutboxItem, outcome: OutboxOutcome, receipt: Uint8Array | undefined): Promise<void> {
    const base = {
      actor: `country:${item.to}`,
      counterpart: item.to,
      ...(item.caseId === '' ? {} : { caseId: item.caseId }),
      messageId: item.messageId,
    }
    if (outcome.status === 'expired') {
      await this.#init.ledger.append({
        ...base,
        actor: 'node',
        kind: 'delivery-failed',
        detail: { reason: 'expired', attempts: item.attempts },
      })
    } else {
      await this.#init.ledger.append(
        {
          ...base,
          kind: 'receipt',
          detail:
            outcome.status === 'accepted'
              ? { status: 'accepted', receivedAt: outcome.receivedAt }
              : { status: 'rejected', reason: outcome.reason },
        },
        { blobs: receipt === undefined ? [] : [receipt] },
      )
    }
    this.#pending.delete(item.messageId)
    this.#dueAt.delete(item.messageId)
    if (outcome.status === 'accepted') this.#delivered++
    this.#init.log.info('outbox.done', { to: item.to, messageId: item.messageId, outcome: outcome.status })
    if (outcome.status === 'accepted')
      this.#events.emit('delivered', { item, receivedAt: outcome.receivedAt })
    else this.#events.emit('failed', { item, outcome })
  }
}
