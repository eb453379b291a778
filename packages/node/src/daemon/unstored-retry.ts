import type { PublishResult } from '@pocnet/directory'
import type { PublicationStatus } from './publication-status.ts'

/**
 * How long after a member connects the record is sent again: kad-dht adds a peer to its routing
 * table once identify has run on the new connection, and a put goes to the peers in that table.
 */
export const RETRY_AFTER_CONNECT_MS = 2_000
/** The least time between two attempts, however many members connect. */
export const RETRY_MIN_INTERVAL_MS = 10_000
/** While members are connected and the record is still held by none, attempts back off to this. */
export const RETRY_MAX_INTERVAL_MS = 5 * 60_000

export interface UnstoredRecordRetryInit {
  status: PublicationStatus
  /** Stores the record issued last again (Directory.republish): undefined when none was issued yet. */
  republish: (signal: AbortSignal) => Promise<PublishResult | undefined>
  /** Issues and stores a record from contact.json (the daemon's publishOwnRecord). */
  publish: () => Promise<unknown>
  /** Told of each member connection; returns the unsubscribe. */
  onMemberConnected: (listener: () => void) => () => void
  /** Members connected now. */
  connectedMembers: () => number
  /** The node's stop: an attempt it cuts short has not failed. */
  shutdown: AbortSignal
  now?: () => number
}

/**
 * Sends the node's own directory record again once a member can store it. The first node of a
 * federation to start (or one whose peers were all unreachable at its start) issues its record to
 * no peer: `pocnet status` says `unstored`, and the republish timer would try again only hours
 * later, while lookups by the others depend on reaching this node itself. So while the record is
 * held by no peer (`unstored`), or sending it failed (`publish-failed`), each member connection
 * (and, at start, members already connected) schedules an attempt 2 s later, at most one every
 * 10 s; one during the first publication waits for that publication's outcome. An attempt that
 * leaves the record unstored while members are connected is followed by another, backing off up
 * to 5 minutes. A record refused by the rules (a contact.json field) is not retried: it needs the
 * operator.
 */
export class UnstoredRecordRetry {
  readonly #init: UnstoredRecordRetryInit
  readonly #now: () => number
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = false
  #lastAttemptAt = Number.NEGATIVE_INFINITY
  #backoffMs = RETRY_MIN_INTERVAL_MS
  #unsubscribe: (() => void) | undefined

  constructor(init: UnstoredRecordRetryInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
  }

  start(): void {
    if (this.#unsubscribe !== undefined) return
    this.#unsubscribe = this.#init.onMemberConnected(() => this.#schedule(RETRY_AFTER_CONNECT_MS))
    // members connected before this (the bootstrap dials at start) count as connecting now
    if (this.#init.connectedMembers() > 0) this.#schedule(RETRY_AFTER_CONNECT_MS)
  }

  stop(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Whether the record needs sending again: held by no peer, or its sending failed. */
  get needed(): boolean {
    const { state, problem } = this.#init.status.current
    return state === 'unstored' || (state === 'not-published' && problem?.reason === 'publish-failed')
  }

  /** The first publication since start is still under way: its outcome decides. */
  get #pending(): boolean {
    return this.#init.status.current.state === 'pending'
  }

  #schedule(afterMs: number): void {
    if (this.#unsubscribe === undefined || this.#timer !== undefined || this.#running) return
    // a member that connects while the first publication is under way is not missed: the attempt
    // waits for that publication's outcome
    if (!this.needed && !this.#pending) return
    const wait = Math.max(afterMs, this.#lastAttemptAt + RETRY_MIN_INTERVAL_MS - this.#now())
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#attempt()
    }, wait)
    this.#timer.unref?.()
  }

  async #attempt(): Promise<void> {
    if (this.#init.shutdown.aborted) return
    if (this.#pending) return this.#schedule(RETRY_AFTER_CONNECT_MS)
    if (!this.needed) return
    this.#running = true
    this.#lastAttemptAt = this.#now()
    try {
      const result = await this.#init.republish(this.#init.shutdown).catch((err: unknown) => {
        // a stop is not a failure
        if (!this.#init.shutdown.aborted) this.#init.status.onRepublished({ error: err as Error })
        return null
      })
      // nothing issued yet (the first publication failed before it was): issue it now, which
      // tells the status itself, a refused field included
      if (result === undefined) await this.#init.publish().catch(() => {})
      else if (result !== null) this.#init.status.onRepublished({ result })
    } finally {
      this.#running = false
    }
    if (!this.needed) {
      this.#backoffMs = RETRY_MIN_INTERVAL_MS
      return
    }
    if (this.#init.connectedMembers() === 0) return
    const next = this.#backoffMs
    this.#backoffMs = Math.min(2 * next, RETRY_MAX_INTERVAL_MS)
    this.#schedule(next)
  }
}
