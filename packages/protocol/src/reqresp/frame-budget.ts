import { FrameOverBudgetError } from '../errors.ts'

export interface FrameBudgetLimits {
  /** Bytes all peers together may have held in frames not yet read whole. */
  totalBytes: number
  /** Bytes one peer may have held so: its share, so that one peer cannot spend the whole budget. */
  perPeerBytes: number
}

export interface FrameBudgetInit extends FrameBudgetLimits {
  /** Told each time a frame is refused, for the node's counters and its (throttled) log. */
  onRefused?: (refusal: FrameOverBudgetError, protocol: string) => void
  /** Told each time `peer` takes bytes, with what it holds now. */
  onTaken?: (peer: string, heldNow: number) => void
  /**
   * Told each time `peer` gives bytes back, with what it holds now and whether they were a whole
   * frame read (the peer made progress) rather than one dropped or refused.
   */
  onReleased?: (peer: string, heldNow: number, read: boolean) => void
}

/**
 * A node-wide budget for bytes held in frames being read (`framesOf` with a budget): a frame's
 * buffer takes from it as it grows and gives back when the frame is read, refused or its stream
 * ends. A growth that would take a peer past `perPeerBytes`, or everyone past `totalBytes`, is
 * refused. Only peers that hold bytes now are remembered, so what is kept per peer is bounded by
 * the streams open at the moment, never by how many peers came and went.
 */
export class FrameBudget {
  readonly limits: FrameBudgetLimits
  readonly #onRefused: FrameBudgetInit['onRefused']
  readonly #onReleased: FrameBudgetInit['onReleased']
  readonly #onTaken: FrameBudgetInit['onTaken']
  readonly #heldByPeer = new Map<string, number>()
  #held = 0
  #refused = 0

  constructor(init: FrameBudgetInit) {
    for (const key of ['totalBytes', 'perPeerBytes'] as const)
      if (!Number.isSafeInteger(init[key]) || init[key] <= 0)
        throw new RangeError(`frame budget ${key} must be a positive whole number, not ${init[key]}`)
    this.limits = { totalBytes: init.totalBytes, perPeerBytes: init.perPeerBytes }
    this.#onRefused = init.onRefused
    this.#onReleased = init.onReleased
    this.#onTaken = init.onTaken
  }

  /** Bytes held now, by every peer. */
  get heldBytes(): number {
    return this.#held
  }

  /** Peers holding bytes now. */
  get holders(): number {
    return this.#heldByPeer.size
  }

  /** Frames refused since start. */
  get refused(): number {
    return this.#refused
  }

  /** Bytes `peer` holds now. */
  heldBy(peer: string): number {
    return this.#heldByPeer.get(peer) ?? 0
  }

  /**
   * Takes `bytes` for `peer`; throws FrameOverBudgetError (counted, and told to `onRefused`)
   * when that would pass its share or the whole budget, taking nothing.
   */
  take(peer: string, bytes: number, protocol: string): void {
    const mine = this.heldBy(peer)
    const { perPeerBytes, totalBytes } = this.limits
    let refusal: FrameOverBudgetError | undefined
    if (mine + bytes > perPeerBytes) refusal = new FrameOverBudgetError(peer, bytes, 'share', perPeerBytes)
    else if (this.#held + bytes > totalBytes)
      refusal = new FrameOverBudgetError(peer, bytes, 'total', totalBytes)
    if (refusal !== undefined) {
      this.#refused++
      this.#onRefused?.(refusal, protocol)
      throw refusal
    }
    this.#heldByPeer.set(peer, mine + bytes)
    this.#held += bytes
    this.#onTaken?.(peer, mine + bytes)
  }

  /** Gives back `bytes` `peer` took; `read`: they were a whole frame, read. */
  give(peer: string, bytes: number, read = false): void {
    if (bytes <= 0) return
    const left = this.heldBy(peer) - bytes
    if (left > 0) this.#heldByPeer.set(peer, left)
    else this.#heldByPeer.delete(peer)
    this.#held = Math.max(0, this.#held - bytes)
    this.#onReleased?.(peer, Math.max(0, left), read)
  }
}
