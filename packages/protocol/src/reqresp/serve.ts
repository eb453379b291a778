import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { ExchangeError } from './exchange-error.ts'
import type { FrameBudget } from './frame-budget.ts'
import { framesOf } from './frames.ts'

/** What a protocol does with a request: the two steps a failure is told apart by. */
export interface Responder<Request> {
  /** Reads a request frame; a throw ends the stream as `decode-failed`. */
  decode(frame: Uint8Array, connection: Connection): Request
  /** The response frame; a throw ends the stream as `handler-failed`. */
  answer(request: Request, connection: Connection): Promise<Uint8Array>
}

export interface ServeOptions {
  maxRequestBytes: number
  /** Each frame's deadline, read or written: a slow or hostile peer holds a stream this long at most. */
  timeoutMs: number
  /** Streams of the protocol served at once on one connection; one more is aborted unread. */
  maxInboundStreams: number
  /** libp2p's cap on this node's own streams of the protocol per connection (libp2p's default when absent). */
  maxOutboundStreams?: number
  /**
   * Requests one stream carries in turn, each answered before the next is read; the stream is
   * closed after the last. With more than one, the sender closing the stream or going quiet past
   * the deadline after at least one answer ends it normally.
   */
  requestsPerStream: number
  /**
   * The node's budget for bytes held in frames being read: each request frame's bytes are taken
   * from it under the connection's peer as they arrive (none when absent).
   */
  budget?: FrameBudget
  /** A stream ended in a failure and was aborted: told once per stream. */
  onFailure?(error: ExchangeError, connection: Connection): void
  /** A stream over `maxInboundStreams` on one connection was aborted unread. */
  onStreamRefused?(connection: Connection): void
}

/**
 * How many streams of a protocol libp2p lets through to the handler per connection: yamux's own
 * cap on a connection's inbound streams. The handler enforces the real limit itself, so that a
 * stream over it can be counted and logged; libp2p would refuse it without a word.
 */
const STREAMS_REACHING_THE_HANDLER = 1_000

/** Serves `protocol`: request frames in, response frames out, with a size cap and a deadline on each. */
export async function serveRequests<Request>(
  libp2p: Pick<Libp2p, 'handle'>,
  protocol: string,
  responder: Responder<Request>,
  options: ServeOptions,
): Promise<void> {
  const { maxInboundStreams, maxOutboundStreams, timeoutMs } = options
  const active = new WeakMap<Connection, number>()
  await libp2p.handle(
    protocol,
    async (stream: Stream, connection: Connection) => {
      const open = active.get(connection) ?? 0
      if (open >= maxInboundStreams) {
        options.onStreamRefused?.(connection)
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
    {
      maxInboundStreams: STREAMS_REACHING_THE_HANDLER,
      ...(maxOutboundStreams !== undefined && { maxOutboundStreams }),
    },
  )

  async function serveStream(stream: Stream, connection: Connection): Promise<void> {
    const { budget } = options
    const frames = framesOf(
      stream,
      options.maxRequestBytes,
      budget === undefined ? undefined : { budget, peer: connection.remotePeer.toString(), protocol },
    )
    try {
      for (let answered = 0; answered < options.requestsPerStream; answered++) {
        let frame: Uint8Array
        try {
          frame = (await frames.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray()
        } catch (err) {
          const error = ExchangeError.of(err, protocol)
          if (answered > 0 && (error.failure === 'deadline' || error.failure === 'unexpected-end')) {
            // the sender is done with the stream: it closed it or went quiet after an answer
            await stream.close({ signal: AbortSignal.timeout(timeoutMs) }).catch(() => {})
            return
          }
          throw error
        }
        let request: Request
        try {
          request = responder.decode(frame, connection)
        } catch (err) {
          throw new ExchangeError('decode-failed', protocol, err)
        }
        let response: Uint8Array
        try {
          response = await responder.answer(request, connection)
        } catch (err) {
          throw new ExchangeError('handler-failed', protocol, err)
        }
        await frames.write(response, { signal: AbortSignal.timeout(timeoutMs) })
      }
      await stream.close({ signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      const error = ExchangeError.of(err, protocol)
      options.onFailure?.(error, connection)
      stream.abort(error)
    }
  }
}
