import type { AbortOptions, Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'
import { bytesEqual, toHex } from '@pocnet/crypto'
import { decode, encode } from '@pocnet/protocol'
import { type FrameBudget, requestOnce, serveRequests } from '@pocnet/protocol/reqresp'
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_INBOUND_STREAMS,
  MAX_REQUEST_BYTES,
  MAX_ROSTER_CHAIN_BYTES,
  MAX_ROSTER_CHAIN_LENGTH,
  ROSTER_PROTOCOL,
} from './constants.ts'
import { PeerProtocolError } from './errors.ts'
import { FieldReader } from './fields.ts'
import type { OfferOutcome, RosterKeeper } from './keeper.ts'
import { type RejectionListener, rejectionReason } from './rejection.ts'
import type { RosterState } from './roster/index.ts'

export interface RosterSyncInit {
  libp2p: Libp2p
  keeper: RosterKeeper
  requestTimeoutMs?: number
  /**
   * Told of every failed exchange (reason code: `bad-signature`, `fork`, `malformed`, `timeout`, …)
   * and every pull not made (`pull-suppressed`), with the peer; never the bytes.
   */
  onRejected?: RejectionListener
  /** The node's budget for bytes of request frames being read (none when absent). */
  frameBudget?: FrameBudget
}

/** The least time between two pulls the same claim to be ahead (version and head) can trigger. */
const PULL_ON_REQUEST_INTERVAL_MS = 5_000
/** How long a peer's claims to be ahead are not followed after a pull from it failed. */
const PULL_AFTER_FAILURE_MS = 30_000

const peerFail = (field: string, rule: string) => new PeerProtocolError(`roster exchange ${field}: ${rule}`)

/** What an asker claims: its roster version and that version's hash. */
interface RosterClaim {
  version: number
  head: Uint8Array
}

/** A roster request, `{ version, head }`. */
function decodeClaim(frame: Uint8Array): RosterClaim {
  const r = new FieldReader(
    decode(frame, { maxBytes: MAX_REQUEST_BYTES, maxDepth: 1 }),
    'request',
    peerFail,
    ['version', 'head'],
  )
  return { version: r.integer('version', 0, MAX_ROSTER_CHAIN_LENGTH), head: r.bytes('head', 32) }
}

/** A roster answer, `{ chain }`: the answerer's documents, or null when it is not ahead. */
function decodeChainAnswer(frame: Uint8Array): Uint8Array[] | null {
  const r = new FieldReader(
    decode(frame, { maxBytes: MAX_ROSTER_CHAIN_BYTES + 64, maxDepth: 2 }),
    'response',
    peerFail,
    ['chain'],
  )
  if (r.raw('chain') === null) return null
  return r.array('chain', MAX_ROSTER_CHAIN_LENGTH, 1).map((d, i) => {
    if (!(d instanceof Uint8Array)) throw peerFail(`chain[${i}]`, 'must be a byte string')
    return d
  })
}

/**
 * `/pocnet/roster/1.0.0`: the asker sends `{ version, head }` (its roster version and that
 * version's hash); the answerer sends `{ chain }` — its whole chain when it is ahead or differs
 * at that version, else null. An answerer that sees the asker ahead asks it back, so a node that
 * adopts a version pushes it by asking every connected peer. Nodes sync on every new connection.
 * After an adoption, connections to peers that are no longer members are closed.
 */
export class RosterSync {
  readonly #libp2p: Libp2p
  readonly #keeper: RosterKeeper
  readonly #timeoutMs: number
  readonly #log: Logger
  readonly #onRejected: RejectionListener | undefined
  readonly #frameBudget: FrameBudget | undefined
  #unsubscribe: (() => void) | undefined
  #failures = 0
  #suppressed = 0
  /** Peers we are pulling from now: one pull per peer at a time. */
  readonly #pulling = new Set<string>()
  /** Peers that claimed to be ahead while a pull from them ran: pulled once more after it. */
  readonly #pullAgain = new Set<string>()
  /** What each asker last claimed (version and head), and when, when it made us pull. */
  readonly #lastClaim = new Map<string, { claim: string; at: number }>()
  /** When a pull from each peer last failed (an invalid chain, bad bytes, no answer). */
  readonly #failedAt = new Map<string, number>()
  /**
   * The encoded `{ chain }` answer and the roster state it carries. Any member asking with an
   * old version gets the whole chain (up to 4 MiB) for a 1 KiB request: it is encoded once per
   * roster version, not once per request.
   */
  #chainAnswer: { state: RosterState; bytes: Uint8Array } | undefined
  #chainEncodings = 0
  /** Aborted by stop(): pulls still under way end. */
  #shutdown = new AbortController()

  constructor(init: RosterSyncInit) {
    this.#libp2p = init.libp2p
    this.#keeper = init.keeper
    this.#timeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.#log = init.libp2p.logger.forComponent('pocnet:directory:roster-sync')
    this.#onRejected = init.onRejected
    this.#frameBudget = init.frameBudget
  }

  /** Exchanges that failed so far: unreachable peers, bad bytes, invalid chains, forks. */
  get failures(): number {
    return this.#failures
  }

  /** Pulls not made: one already running from that peer, or one it asked for too soon after the last. */
  get suppressed(): number {
    return this.#suppressed
  }

  /** How many times the whole chain was encoded for an answer: once per roster version that was asked for. */
  get chainEncodings(): number {
    return this.#chainEncodings
  }

  readonly #onConnect = (event: CustomEvent<PeerId>): void => {
    this.#syncQuietly(event.detail)
  }

  async start(): Promise<void> {
    this.#shutdown = new AbortController()
    await serveRequests(
      this.#libp2p,
      ROSTER_PROTOCOL,
      { decode: decodeClaim, answer: async (claim, conn) => this.#answer(claim, conn) },
      {
        maxRequestBytes: MAX_REQUEST_BYTES,
        timeoutMs: this.#timeoutMs,
        maxInboundStreams: MAX_INBOUND_STREAMS,
        requestsPerStream: 1,
        ...(this.#frameBudget !== undefined && { budget: this.#frameBudget }),
        onFailure: (error, conn) => this.#reject(error, conn.remotePeer),
      },
    )
    this.#libp2p.addEventListener('peer:connect', this.#onConnect)
    this.#unsubscribe = this.#keeper.onRosterAdopted(() => {
      this.#dropNonMembers()
      this.announce()
    })
  }

  async stop(): Promise<void> {
    this.#shutdown.abort()
    this.#libp2p.removeEventListener('peer:connect', this.#onConnect)
    this.#unsubscribe?.()
    await this.#libp2p.unhandle(ROSTER_PROTOCOL)
  }

  /** Asks `peer` for its roster and adopts it when newer and valid; throws when it is invalid or a fork. */
  async sync(peer: PeerId, options: AbortOptions = {}): Promise<OfferOutcome> {
    const state = this.#keeper.state
    const signals = [AbortSignal.timeout(this.#timeoutMs), this.#shutdown.signal]
    const chain = await requestOnce(
      this.#libp2p,
      peer,
      ROSTER_PROTOCOL,
      encode({ version: state.version, head: state.hash }),
      {
        maxResponseBytes: MAX_ROSTER_CHAIN_BYTES + 64,
        signal: AbortSignal.any(options.signal === undefined ? signals : [options.signal, ...signals]),
        decode: decodeChainAnswer,
      },
    )
    if (chain === null) return 'current'
    return this.#keeper.offer(chain)
  }

  /** Tells every connected peer our version (by asking it), so peers behind us pull our chain. */
  announce(): void {
    for (const peer of this.#libp2p.getPeers()) this.#syncQuietly(peer)
  }

  #syncQuietly(peer: PeerId): void {
    const id = peer.toString()
    if (this.#pulling.has(id)) {
      // The peer may have adopted a newer version since it answered the pull under way (it tells
      // us so by asking): one more pull when this one is done, so that we do not stay behind until
      // the next connection. Never more than one: further claims meanwhile are not followed.
      if (this.#pullAgain.has(id)) this.#suppress(peer)
      else this.#pullAgain.add(id)
      return
    }
    this.#pulling.add(id)
    this.sync(peer)
      .then(
        () => true,
        (err: Error) => {
          // a pull the stop cut short is no peer's failure
          if (this.#shutdown.signal.aborted) return false
          this.#failedAt.set(id, Date.now())
          this.#reject(err, peer)
          return false
        },
      )
      .then((pulled) => {
        this.#pulling.delete(id)
        // after a failed pull, the peer's claims are not followed for a while anyway
        if (this.#pullAgain.delete(id) && pulled) this.#syncQuietly(peer)
      })
  }

  #answer(claim: RosterClaim, connection: Connection): Uint8Array {
    const { version: theirVersion, head: theirHead } = claim
    const state = this.#keeper.state
    const differs = theirVersion === state.version && !bytesEqual(theirHead, state.hash)
    // the asker is ahead (or on another branch): pull from it after answering. Once a fork froze
    // adoption there is nothing to pull, and two forked nodes would otherwise ask each other forever.
    if ((theirVersion > state.version || differs) && this.#keeper.fork === undefined) {
      // A member can claim to be ahead as often as it likes, and each claim costs us a pull and
      // the chain's verification: the same claim again soon, or any claim soon after a pull from
      // it failed, is not followed (a real new version is a new claim, and peers still sync on
      // every connection).
      const peer = connection.remotePeer.toString()
      const now = Date.now()
      const claim = `${theirVersion}:${toHex(theirHead)}`
      const last = this.#lastClaim.get(peer)
      const failed = this.#failedAt.get(peer) ?? Number.NEGATIVE_INFINITY
      if (
        (last?.claim === claim && now - last.at < PULL_ON_REQUEST_INTERVAL_MS) ||
        now - failed < PULL_AFTER_FAILURE_MS
      )
        this.#suppress(connection.remotePeer)
      else {
        this.#lastClaim.set(peer, { claim, at: now })
        this.#syncQuietly(connection.remotePeer)
      }
    }
    return theirVersion < state.version || differs ? this.#encodedChain(state) : encode({ chain: null })
  }

  /** `{ chain }` of `state`'s chain, encoded once per roster state (the keeper's state changes only on adoption). */
  #encodedChain(state: RosterState): Uint8Array {
    if (this.#chainAnswer?.state !== state) {
      this.#chainAnswer = { state, bytes: encode({ chain: this.#keeper.documents }) }
      this.#chainEncodings++
    }
    return this.#chainAnswer.bytes
  }

  #dropNonMembers(): void {
    const state = this.#keeper.state
    for (const peer of this.#libp2p.getPeers()) {
      if (state.memberByPeerId(peer) === undefined) {
        this.#libp2p
          .hangUp(peer)
          .catch((err: Error) => this.#log.error('hang up on %p failed: %e', peer, err))
      }
    }
  }

  #reject(err: Error, peer: PeerId): void {
    this.#failures++
    this.#log('roster exchange with %p refused: %s', peer, err.message)
    this.#onRejected?.({ protocol: 'roster', reason: rejectionReason(err), peer })
  }

  #suppress(peer: PeerId): void {
    this.#suppressed++
    this.#onRejected?.({ protocol: 'roster', reason: 'pull-suppressed', peer })
  }
}
