import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { cappedLengthDecoder } from '@pocnet/protocol'

/**
 * One request, one response, each a single length-prefixed frame on its own stream. Both
 * directions have a size cap (enforced on the varint length before the body is read) and
 * a deadline, so a slow or hostile peer costs at most one stream slot for `timeoutMs`.
 */

export interface ReqRespLimits {
  maxRequestBytes: number
  maxResponseBytes: number
  timeoutMs: number
}

export type RequestHandler = (
  request: Uint8Array,
  from: PeerId,
  connection: Connection,
) => Promise<Uint8Array>

export interface HandlerEvents {
  /** A peer's request broke a limit or the handler threw; the stream was aborted. */
  onStreamError?(from: PeerId, reason: string): void
  /** A peer opened a stream past `maxInboundStreams` on one connection; it was aborted unread. */
  onStreamRefused?(from: PeerId): void
}

/**
 * How many streams of a protocol libp2p lets through to the handler per connection: yamux's own
 * cap on a connection's inbound streams. The handler enforces the real limit itself, so that a
 * stream over it is counted and logged; libp2p would refuse it without a word.
 */
const STREAMS_REACHING_THE_HANDLER = 1_000

/**
 * Serves `protocol`: each stream carries one or more requests in turn, each answered before
 * the next is read, so a sender can keep a stream open for many requests instead of paying a
 * stream negotiation per request. Every frame has the size cap and its own deadline; after
 * at least one answered request, the sender closing the stream or going quiet past the
 * deadline simply ends it.
 */
export async function handleRequests(
  libp2p: Libp2p,
  protocol: string,
  limits: ReqRespLimits,
  maxInboundStreams: number,
  handler: RequestHandler,
  events: HandlerEvents = {},
): Promise<void> {
  const active = new WeakMap<Connection, number>()
  await libp2p.handle(
    protocol,
    async (stream: Stream, connection: Connection) => {
      const open = active.get(connection) ?? 0
      if (open >= maxInboundStreams) {
        events.onStreamRefused?.(connection.remotePeer)
        stream.abort(new Error(`over ${maxInboundStreams} streams on one connection`))
        return
      }
      active.set(connection, open + 1)
      try {
        await serveStream(stream, connection)
      } finally {
        active.set(connection, (active.get(connection) ?? 1) - 1)
      }
    },
    { maxInboundStreams: STREAMS_REACHING_THE_HANDLER, maxOutboundStreams: maxInboundStreams },
  )

  async function serveStream(stream: Stream, connection: Connection): Promise<void> {
    const lp = lpStream(stream, {
      maxDataLength: limits.maxRequestBytes,
      lengthDecoder: cappedLengthDecoder(limits.maxRequestBytes),
    })
    let answered = 0
    try {
      for (;;) {
        let request: Uint8Array
        try {
          request = (await lp.read({ signal: AbortSignal.timeout(limits.timeoutMs) })).subarray()
        } catch (err) {
          const reason = errorReason(err)
          if (answered > 0 && (reason === 'timeout' || reason === 'UnexpectedEOFError')) {
            await stream.close({ signal: AbortSignal.timeout(limits.timeoutMs) }).catch(() => {})
            return
          }
          throw err
        }
        const response = await handler(request, connection.remotePeer, connection)
        await lp.write(response, { signal: AbortSignal.timeout(limits.timeoutMs) })
        answered++
      }
    } catch (err) {
      events.onStreamError?.(connection.remotePeer, errorReason(err))
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

interface OpenStream {
  stream: Stream
  lp: ReturnType<typeof lpStream<Stream>>
  idleSince: number
}

/**
 * The sending side: streams to each peer are kept open and reused, at most `maxPerPeer` at a
 * time (one request in flight on each). A stream idle for half the receiver's deadline is
 * dropped, since the receiver will end it; a request on a reused stream that fails is tried
 * once more on a fresh one (the receiver deduplicates, so this is safe).
 */
export class RequestStreams {
  readonly #libp2p: Libp2p
  readonly #protocol: string
  readonly #limits: ReqRespLimits
  readonly #idle = new Map<string, OpenStream[]>()

  constructor(libp2p: Libp2p, protocol: string, limits: ReqRespLimits) {
    this.#libp2p = libp2p
    this.#protocol = protocol
    this.#limits = limits
  }

  async request(
    peer: PeerId,
    target: PeerId | Multiaddr | Multiaddr[],
    request: Uint8Array,
  ): Promise<Uint8Array> {
    const reused = this.#takeIdle(peer)
    if (reused !== undefined) {
      try {
        return await this.#exchange(peer, reused, request)
      } catch {
        // the receiver may have ended the stream meanwhile: one try on a fresh stream
      }
    }
    const signal = AbortSignal.timeout(this.#limits.timeoutMs)
    const stream = await this.#libp2p.dialProtocol(target, this.#protocol, { signal })
    const fresh: OpenStream = {
      stream,
      lp: lpStream(stream, {
        maxDataLength: this.#limits.maxResponseBytes,
        lengthDecoder: cappedLengthDecoder(this.#limits.maxResponseBytes),
      }),
      idleSince: 0,
    }
    return this.#exchange(peer, fresh, request)
  }

  async #exchange(peer: PeerId, open: OpenStream, request: Uint8Array): Promise<Uint8Array> {
    const signal = AbortSignal.timeout(this.#limits.timeoutMs)
    try {
      await open.lp.write(request, { signal })
      const response = (await open.lp.read({ signal })).subarray()
      open.idleSince = Date.now()
      const list = this.#idle.get(peer.toString()) ?? []
      list.push(open)
      this.#idle.set(peer.toString(), list)
      return response
    } catch (err) {
      open.stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
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

/** A short, log-safe description of a stream failure. */
export function errorReason(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout'
    if (err.name === 'LengthPrefixTooLongError') return 'bad-length-prefix'
    if (err.name === 'InvalidDataLengthError' || /length/i.test(err.message)) return 'too-large'
    return err.name
  }
  return 'unknown'
}
