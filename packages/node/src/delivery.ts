import type { PeerId } from '@libp2p/interface'
import { RateLimiter } from '@libp2p/utils'
import { bytesEqual, type NodeIdentity, sha256 } from '@pocnet/crypto'
import { DEFAULT_CACHE_FRESH_MS, MAX_CLOCK_SKEW_MS, type RosterState } from '@pocnet/directory'
import { InvalidEntryError, type Ledger } from '@pocnet/ledger'
import { createReceipt, type OpenedEnvelope, open, type RejectReason } from '@pocnet/protocol'
import { type FrameBudget, serveRequests } from '@pocnet/protocol/reqresp'
import { DELIVERY_PROTOCOL, MAX_INBOUND_DELIVERY_STREAMS, SENDER_NOT_FOUND_TTL_MS } from './constants.ts'
import type { Host } from './host.ts'
import { type Logger, LogThrottle, THROTTLED_LOG_EVERY_MS } from './log.ts'
import { type Accepted, ReplayMemory } from './replay.ts'
import {
  SenderKeyResolver,
  type SenderKeys,
  SenderKeyUnavailable,
  SenderRecentlyNotFound,
} from './sender-keys.ts'

export interface InboundMessage {
  messageId: string
  from: string
  caseId: string
  kind: string
  createdAt: number
  receivedAt: number
  seq: number
  envelopeHash: Uint8Array
}

export interface DeliveryInit {
  host: Host
  identity: NodeIdentity
  network: string
  country: string
  ledger: Ledger
  getRoster: () => RosterState
  /** The sender's box key and, when its record advertises one, its X-Wing key: from its directory record. */
  keysOf: (country: string) => Promise<SenderKeys | undefined>
  /**
   * From which creation time a classical envelope from a sender advertising hybrid sealing is a
   * downgrade (open()'s `downgradeRefusedFrom`), read per envelope: it changes as records are published.
   */
  downgradeRefusedFrom: () => number | null
  /**
   * A value that changes when a newer directory record of `country` reaches this node (stored
   * for the DHT, or cached by a lookup): a failed lookup remembered under another value is void.
   */
  recordStampOf?: (country: string) => string
  /** How long a failed lookup of a sender's record is remembered; SENDER_NOT_FOUND_TTL_MS by default. */
  senderNotFoundTtlMs?: number
  limits: {
    maxEnvelopeBytes: number
    readTimeoutMs: number
    clockSkewMs: number
    maxAgeMs: number
    perPeerPerMinute: number
  }
  log: Logger
  now?: () => number
  /**
   * Checks an opened envelope's payload before it is accepted (e.g. a case message that does
   * not validate): a reason rejects it with that receipt, so nothing invalid is ever stored.
   */
  checkPayload?: (opened: OpenedEnvelope, fromCountry: string) => RejectReason | undefined
  /** A payload `checkPayload` passed could not be stored after all (the ledger append failed): what the check set aside is given back. */
  onNotStored?: (opened: OpenedEnvelope) => void
  onMessage?: (message: InboundMessage, opened: OpenedEnvelope) => void
  /** The node's budget for bytes of envelopes being read (none when absent). */
  frameBudget?: FrameBudget
}

/**
 * How long after this node's record first advertises its X-Wing key a classical envelope from a
 * hybrid sender is still accepted: a sender seals to the record it holds, which a directory cache
 * serves for DEFAULT_CACHE_FRESH_MS, and clocks differ by up to MAX_CLOCK_SKEW_MS.
 */
export const DOWNGRADE_GRACE_MS = DEFAULT_CACHE_FRESH_MS + MAX_CLOCK_SKEW_MS

/** The envelope names a sender other than the connected peer (open() asked for its keys). */
class NotTheConnectedPeer extends Error {}

/** Rejections by reason since start: the "counted" of "rejected, counted, logged". */
export type RejectionCounts = Partial<
  Record<RejectReason | 'stream' | 'stream-limit' | 'try-later-not-found', number>
>

/** At most one `delivery.sender-not-found` line per member this often: a flood is counted, not echoed. */
const SENDER_NOT_FOUND_LOG_EVERY_MS = THROTTLED_LOG_EVERY_MS

/**
 * The receiving side of `/pocnet/deliver/1.0.0`. Per envelope: rate limit, `open()` (size,
 * outer signature, recipient, decryption, inner signature, fields, clock skew), replay check,
 * then ONE ledger batch holding the entry, the envelope bytes and the receipt bytes; only
 * then is the signed receipt written back. A repeat of an accepted message id gets the
 * original receipt again, so a sender's retry never makes a second message.
 */
export class DeliveryReceiver {
  readonly rejections: RejectionCounts = {}
  /** Streams refused over the per-connection limit, by peer (members only: the gater), for the log. */
  readonly #refusedStreams: LogThrottle
  /** Envelopes answered `rate-limited`, by peer (members only), for the log. */
  readonly #rateLimited: LogThrottle
  /**
   * The other lines a peer's streams or frames cause (a failed stream, a rejected envelope, a repeat),
   * by reason: a member can cause them as fast as it opens streams or sends frames.
   */
  readonly #perReason: LogThrottle
  readonly #init: DeliveryInit
  readonly #now: () => number
  #accepted: ReplayMemory
  readonly #inFlight = new Map<string, Promise<Uint8Array>>()
  readonly #limiter: RateLimiter
  readonly #senderKeys: SenderKeyResolver
  #acceptedCount = 0

  constructor(init: DeliveryInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#refusedStreams = new LogThrottle({ now: this.#now })
    this.#rateLimited = new LogThrottle({ now: this.#now })
    this.#perReason = new LogThrottle({ now: this.#now })
    this.#senderKeys = new SenderKeyResolver(init, {
      now: this.#now,
      notFoundTtlMs: init.senderNotFoundTtlMs ?? SENDER_NOT_FOUND_TTL_MS,
    })
    this.#limiter = new RateLimiter({ points: init.limits.perPeerPerMinute, duration: 60 })
    this.#accepted = new ReplayMemory(this.#replayWindowMs, this.#now)
  }

  get #replayWindowMs(): number {
    return this.#init.limits.maxAgeMs + this.#init.limits.clockSkewMs
  }

  /** Accepted message ids held for answering retries (only those open() could still accept). */
  get replayMemorySize(): number {
    return this.#accepted.size
  }

  get acceptedCount(): number {
    return this.#acceptedCount
  }

  /** Lookups of senders' box keys (directory cache, else DHT and peers) started since start. */
  get senderLookups(): number {
    return this.#senderKeys.lookups
  }

  /** Rebuilds the replay memory from the ledger, then starts serving. */
  async start(): Promise<void> {
    this.#accepted = await ReplayMemory.load(this.#init.ledger, this.#replayWindowMs, this.#now)
    const { maxEnvelopeBytes, readTimeoutMs } = this.#init.limits
    await serveRequests(
      this.#init.host,
      DELIVERY_PROTOCOL,
      // open() judges the bytes: even garbage gets a signed receipt, so there is no decode step
      {
        decode: (frame) => frame,
        answer: (request, connection) => this.#receive(request, connection.remotePeer),
      },
      {
        maxRequestBytes: maxEnvelopeBytes,
        timeoutMs: readTimeoutMs,
        maxInboundStreams: MAX_INBOUND_DELIVERY_STREAMS,
        maxOutboundStreams: MAX_INBOUND_DELIVERY_STREAMS,
        requestsPerStream: Number.POSITIVE_INFINITY,
        ...(this.#init.frameBudget !== undefined && { budget: this.#init.frameBudget }),
        onFailure: (error, connection) => {
          // counted and logged (throttled) by the frame budget itself, as `over-budget`
          if (error.failure === 'over-budget') return
          this.#count('stream')
          const failed = this.#perReason.hit(`stream-error ${error.failure}`)
          if (failed !== undefined)
            this.#init.log.warn('delivery.stream-error', {
              peer: connection.remotePeer.toString(),
              reason: error.failure,
              failedSinceStart: failed,
            })
        },
        onStreamRefused: (connection) => {
          this.#count('stream-limit')
          const peer = connection.remotePeer.toString()
          const refused = this.#refusedStreams.hit(peer)
          if (refused !== undefined)
            this.#init.log.warn('delivery.stream-limit', {
              peer,
              limit: MAX_INBOUND_DELIVERY_STREAMS,
              refusedSinceStart: refused,
            })
        },
      },
    )
  }

  #count(reason: keyof RejectionCounts): void {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1
  }

  /**
   * A signed rejection, counted; logged through the throttle unless `bounded`: a failed lookup of
   * the sender's record happens at most once per member every SENDER_NOT_FOUND_TTL_MS already.
   */
  #reject(
    reason: RejectReason,
    envelopeHash: Uint8Array,
    from: PeerId,
    detail: string,
    bounded = false,
  ): Uint8Array {
    this.#count(reason)
    if (reason === 'rate-limited') this.#logRateLimited(from, detail)
    else {
      // by reason and the check that failed: a finite set, each told every THROTTLED_LOG_EVERY_MS
      const key = `rejected ${reason} ${detail}`
      const due = this.#perReason.hit(key)
      const rejected = due ?? (bounded ? this.#perReason.count(key) : undefined)
      if (rejected !== undefined)
        this.#init.log.warn('delivery.rejected', {
          peer: from.toString(),
          reason,
          detail,
          rejectedSinceStart: rejected,
        })
    }
    return createReceipt({
      receiver: this.#init.identity,
      networkId: this.#init.network,
      envelopeHash,
      receivedAt: this.#now(),
      status: 'rejected',
      reason,
    })
  }

  async #receive(request: Uint8Array, from: PeerId): Promise<Uint8Array> {
    const envelopeHash = sha256(request)
    try {
      this.#limiter.consume(from.toString()) // throws RateLimitError past the limit
    } catch {
      return this.#reject('rate-limited', envelopeHash, from, 'per-peer limit')
    }
    let result: Awaited<ReturnType<typeof open>>
    try {
      result = await this.#open(request, from)
      if (
        !result.ok &&
        (result.check === 'decrypt' || result.check === 'downgrade') &&
        this.#senderKeys.dropCachedKeys(from)
      ) {
        // the sender may have rotated its box key, or stopped advertising its X-Wing key, since
        // we cached its record: look it up afresh once
        result = await this.#open(request, from)
      }
    } catch (err) {
      // Delivery must come from the sender itself, or receipts would go to the wrong party (a
      // member relaying another's envelope); and the check comes before open() looks up the
      // named sender's box key, so naming another member costs the receiver no DHT query.
      if (err instanceof NotTheConnectedPeer)
        return this.#reject('bad-signature', envelopeHash, from, 'sender is not the connected peer')
      if (err instanceof SenderRecentlyNotFound) return this.#deferNotFound(err, envelopeHash, from)
      if (!(err instanceof SenderKeyUnavailable)) throw err
      // a member whose record we cannot get right now: not its fault, so not final
      return this.#reject('try-later', envelopeHash, from, 'no directory record of the sender', true)
    }
    if (!result.ok) return this.#reject(result.reason, envelopeHash, from, result.check)
    const id = result.messageIdHex
    const known = this.#accepted.get(id)
    if (known !== undefined) return this.#repeat(id, known, envelopeHash, from)
    const pending = this.#inFlight.get(id)
    if (pending !== undefined) {
      await pending.catch(() => {})
      const now = this.#accepted.get(id)
      if (now !== undefined) return this.#repeat(id, now, envelopeHash, from)
    }
    const fromCountry = this.#init.getRoster().memberByPeerId(result.sender)?.country ?? '??'
    const refused = this.#init.checkPayload?.(result, fromCountry)
    if (refused !== undefined) return this.#reject(refused, envelopeHash, from, 'payload')
    const work = this.#accept(request, result)
    this.#inFlight.set(id, work)
    try {
      return await work
    } catch (err) {
      // An envelope open() passed but the ledger cannot record (a field the ledger's rules
      // refuse): still a signed answer, or the sender would retry for days.
      if (err instanceof InvalidEntryError)
        return this.#reject('malformed', envelopeHash, from, `ledger refused ${err.field}`)
      throw err
    } finally {
      this.#inFlight.delete(id)
    }
  }

  /**
   * The rate bounds how many of a member's other rejections are logged, but not these: a member
   * past its rate is answered as fast as it sends. So one line per member every
   * THROTTLED_LOG_EVERY_MS, with the count so far.
   */
  #logRateLimited(from: PeerId, detail: string): void {
    const peer = from.toString()
    const count = this.#rateLimited.hit(peer)
    if (count === undefined) return
    this.#init.log.warn('delivery.rejected', {
      peer,
      reason: 'rate-limited',
      detail,
      rateLimitedSinceStart: count,
    })
  }

  /**
   * `try-later` for a member whose record was not found a moment ago, without looking it up
   * again: counted apart (`try-later-not-found`), and logged at most once per member every
   * SENDER_NOT_FOUND_LOG_EVERY_MS, since a member may send up to the per-peer rate.
   */
  #deferNotFound(err: SenderRecentlyNotFound, envelopeHash: Uint8Array, from: PeerId): Uint8Array {
    this.#count('try-later-not-found')
    const { miss } = err
    miss.deferred++
    const now = this.#now()
    if (now - miss.loggedAt >= SENDER_NOT_FOUND_LOG_EVERY_MS) {
      miss.loggedAt = now
      this.#init.log.warn('delivery.sender-not-found', {
        peer: from.toString(),
        country: err.country,
        deferred: miss.deferred,
        lookupAgainInMs: Math.max(0, miss.until - now),
      })
    }
    return createReceipt({
      receiver: this.#init.identity,
      networkId: this.#init.network,
      envelopeHash,
      receivedAt: now,
      status: 'rejected',
      reason: 'try-later',
    })
  }

  async #repeat(id: string, known: Accepted, envelopeHash: Uint8Array, from: PeerId): Promise<Uint8Array> {
    if (!bytesEqual(known.envelopeHash, envelopeHash)) {
      return this.#reject('replay', envelopeHash, from, 'message id reused with other bytes')
    }
    const receipt = await this.#init.ledger.getBlob(known.receiptHash)
    if (receipt === undefined) throw new Error(`receipt blob for message ${id} is missing from the ledger`)
    const repeats = this.#perReason.hit('repeat')
    if (repeats !== undefined)
      this.#init.log.info('delivery.repeat', {
        peer: from.toString(),
        messageId: id,
        repeatsSinceStart: repeats,
      })
    return receipt
  }

  async #accept(request: Uint8Array, opened: OpenedEnvelope): Promise<Uint8Array> {
    const receivedAt = this.#now()
    const receipt = createReceipt({
      receiver: this.#init.identity,
      networkId: this.#init.network,
      envelopeHash: opened.envelopeHash,
      receivedAt,
      status: 'accepted',
    })
    const country = this.#init.getRoster().memberByPeerId(opened.sender)?.country ?? '??'
    const entry = await this.#init.ledger
      .append(
        {
          kind: 'message-received',
          actor: `country:${country}`,
          counterpart: country,
          ...(opened.caseId === '' ? {} : { caseId: opened.caseId }),
          messageId: opened.messageIdHex,
          detail: { messageKind: opened.kind, createdAt: opened.createdAt },
        },
        // envelope (what was signed), receipt (what we answered), payload (readable later
        // without the sender's key); blobs are encrypted at rest by the ledger
        { blobs: [request, receipt, opened.payload] },
      )
      .catch((err: unknown) => {
        this.#init.onNotStored?.(opened)
        throw err
      })
    this.#accepted.remember(opened.messageIdHex, {
      envelopeHash: opened.envelopeHash,
      receiptHash: entry.blobs[1]!,
      createdAt: opened.createdAt,
    })
    this.#acceptedCount++
    this.#init.log.info('delivery.accepted', {
      from: country,
      messageId: opened.messageIdHex,
      kind: opened.kind,
      bytes: request.length,
      seq: entry.seq,
    })
    this.#init.onMessage?.(
      {
        messageId: opened.messageIdHex,
        from: country,
        caseId: opened.caseId,
        kind: opened.kind,
        createdAt: opened.createdAt,
        receivedAt,
        seq: entry.seq,
        envelopeHash: opened.envelopeHash,
      },
      opened,
    )
    return receipt
  }

  /** open() of an envelope that came from `from`: a sender other than `from` is refused unresolved. */
  #open(request: Uint8Array, from: PeerId): ReturnType<typeof open> {
    const { identity, network, limits } = this.#init
    return open(request, {
      identity,
      networkId: network,
      resolveSender: (sender) => {
        if (!sender.equals(from)) throw new NotTheConnectedPeer()
        return this.#senderKeys.resolve(sender)
      },
      now: this.#now(),
      downgradeRefusedFrom: this.#init.downgradeRefusedFrom(),
      maxBytes: limits.maxEnvelopeBytes,
      skew: { maxAgeMs: limits.maxAgeMs, maxFutureMs: limits.clockSkewMs },
    })
  }
}
