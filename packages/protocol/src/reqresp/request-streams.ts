import type { AbortOptions, DialTarget, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { ExchangeError } from './exchange-error.ts'
import { type Frames, framesOf } from './frames.ts'
import { exchangeFrames, openStream } from './request.ts'

export interface RequestStreamsLimits {
  maxResponseBytes: number
  /** The receiver's deadline per frame: a request's deadline, and twice how long an idle stream is kept. */
  timeoutMs: number
}

interface OpenStream {
  stream: Stream
  frames: Frames
  idleSince: number
}

/**
 * The sending side of a protocol whose receiver serves many requests per stream: streams to each
 * peer are kept open and reused, one request in flight on each. A stream idle for half the
 * receiver's deadline is dropped, since the receiver will end it; a request on a reused stream
 * that fails is tried once more on a fresh one (so the receiver must deduplicate requests).
 */
export class RequestStreams {
  readonly #libp2p: Pick<Libp2p, 'dialProtocol'>
  readonly #protocol: string
  readonly #limits: RequestStreamsLimits
  readonly #idle = new Map<string, OpenStream[]>()

  constructor(libp2p: Pick<Libp2p, 'dialProtocol'>, protocol: string, limits: RequestStreamsLimits) {
    this.#libp2p = libp2p
    this.#protocol = protocol
    this.#limits = limits
  }

  /**
   * Sends `request` to `peer` (dialled at `target`) and returns the response frame; every failure
   * is an ExchangeError. `options.signal` ends it early (`aborted`), besides the deadline.
   */
  async request(
    peer: PeerId,
    target: DialTarget,
    request: Uint8Array,
    options: AbortOptions = {},
  ): Promise<Uint8Array> {
    const reused = this.#takeIdle(peer)
    if (reused !== undefined) {
      try {
        return await this.#exchange(peer, reused, request, options)
      } catch {
        // the receiver may have ended the stream meanwhile: one try on a fresh stream
      }
    }
    const stream = await openStream(this.#libp2p, target, this.#protocol, this.#deadline(options))
    const fresh = { stream, frames: framesOf(stream, this.#limits.maxResponseBytes), idleSince: 0 }
    return this.#exchange(peer, fresh, request, options)
  }

  /** A step's deadline, and the caller's signal when it gives one. */
  #deadline(options: AbortOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.#limits.timeoutMs)
    return options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  }

  async #exchange(
    peer: PeerId,
    open: OpenStream,
    request: Uint8Array,
    options: AbortOptions,
  ): Promise<Uint8Array> {
    try {
      const response = await exchangeFrames(open.frames, request, this.#deadline(options))
      open.idleSince = Date.now()
      const list = this.#idle.get(peer.toString()) ?? []
      list.push(open)
      this.#idle.set(peer.toString(), list)
      return response
    } catch (err) {
      const error = ExchangeError.of(err, this.#protocol)
      open.stream.abort(error)
      throw error
    }
  }

  #takeIdle(peer: PeerId): OpenStream | undefined {
    const list = this.#idle.get(peer.toString())
    const fresh = Date.now() - this.#limits.timeoutMs / 2
    while (list !== undefined && list.length > 0) {
      const candidate = list.pop()!
      if (candidate.stream.status === 'open' && candidate.idleSince > fresh) return candidate
      candidate.stream.abort(new Error('idle stream dropped'))
    }
    return undefined
  }

  /** Closes every idle stream (the node is stopping). */
  async close(): Promise<void> {
    const all = [...this.#idle.values()].flat()
    this.#idle.clear()
    await Promise.all(
      all.map((o) =>
        o.stream
          .close({ signal: AbortSignal.timeout(1_000) })
          .catch(() => o.stream.abort(new Error('closing'))),
      ),
    )
  }
}
