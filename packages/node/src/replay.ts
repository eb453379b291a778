import type { Ledger } from '@pocnet/ledger'

/** What the receiver needs to answer a sender's retry: the bytes it accepted and the receipt it gave. */
export interface Accepted {
  envelopeHash: Uint8Array
  receiptHash: Uint8Array
  /** The envelope's creation time (ms), which decides when open() stops accepting it. */
  createdAt: number
}

/** How often the memory drops ids that have aged out. */
const PRUNE_EVERY_MS = 60_000

/**
 * The message ids a receiver has accepted and could still be shown again. open() refuses any
 * envelope created more than `maxAgeMs` ago, so an id older than that can never reach the replay
 * check: keeping it would only grow memory with every message a node ever received. The window
 * adds the clock skew allowance, since creation times are the sender's clock.
 */
export class ReplayMemory {
  readonly #byId = new Map<string, Accepted>()
  readonly #windowMs: number
  readonly #now: () => number
  #prunedAt: number

  constructor(windowMs: number, now: () => number) {
    this.#windowMs = windowMs
    this.#now = now
    this.#prunedAt = now()
  }

  /** The ids received within the window, from the ledger's `message-received` entries. */
  static async load(ledger: Ledger, windowMs: number, now: () => number): Promise<ReplayMemory> {
    const memory = new ReplayMemory(windowMs, now)
    // an entry's time is when it arrived, which is at least its creation time minus the skew
    const from = now() - windowMs
    for await (const entry of ledger.scan({ kind: 'message-received', from })) {
      const createdAt = entry.detail?.createdAt
      if (entry.messageId === undefined || entry.blobs.length < 2 || typeof createdAt !== 'number') continue
      memory.remember(entry.messageId, {
        envelopeHash: entry.blobs[0]!,
        receiptHash: entry.blobs[1]!,
        createdAt,
      })
    }
    return memory
  }

  get size(): number {
    return this.#byId.size
  }

  get(id: string): Accepted | undefined {
    return this.#byId.get(id)
  }

  remember(id: string, accepted: Accepted): void {
    if (accepted.createdAt < this.#now() - this.#windowMs) return
    this.#byId.set(id, accepted)
    this.#pruneNowAndThen()
  }

  #pruneNowAndThen(): void {
    const now = this.#now()
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return
    this.#prunedAt = now
    const cutoff = now - this.#windowMs
    for (const [id, accepted] of this.#byId) if (accepted.createdAt < cutoff) this.#byId.delete(id)
  }
}
