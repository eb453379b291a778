import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * One request, one response, each a single length-prefixed frame on its own stream. Both
 * directions have a size cap (enforced on the varint length before the body is read) and
 * a deadline, so a slow or hostile peer costs at most one stream slot for `timeoutMs`.
 */

/** A length prefix longer than any allowed length could need: the peer is sending garbage. */
export class LengthPrefixTooLongError extends Error {
  override name = 'LengthPrefixTooLongError'
}

/**
 * An unsigned-varint length decoder that gives up as soon as the prefix has more bytes than
 * `maxDataLength` can take. lpStream only checks the prefix's length once a varint completes,
 * so a peer sending continuation bytes forever would otherwise hold the stream (and the event
 * loop, a byte at a time) until the read deadline.
 */
export function cappedLengthDecoder(maxDataLength: number): (data: { subarray(): Uint8Array }) => number {
  let maxPrefixBytes = 1
  while (2 ** (7 * maxPrefixBytes) <= maxDataLength) maxPrefixBytes++
  return (data) => {
    const bytes = data.subarray()
    let value = 0
    for (let i = 0; i < bytes.length; i++) {
      if (i >= maxPrefixBytes)
        throw new LengthPrefixTooLongError(`length prefix longer than ${maxPrefixBytes} bytes`)
      const b = bytes[i]!
      value += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) return value
    }
    // incomplete: lpStream reads another byte when the decoder throws a RangeError
    throw new RangeError('length prefix not complete yet')
  }
}

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
}

export async function handleRequests(
  libp2p: Libp2p,
  protocol: string,
  limits: ReqRespLimits,
  maxInboundStreams: number,
  handler: RequestHandler,
  events: HandlerEvents = {},
): Promise<void> {
  await libp2p.handle(
    protocol,
    async (stream: Stream, connection: Connection) => {
      const signal = AbortSignal.timeout(limits.timeoutMs)
      const lp = lpStream(stream, {
        maxDataLength: limits.maxRequestBytes,
        lengthDecoder: cappedLengthDecoder(limits.maxRequestBytes),
      })
      try {
        const request = (await lp.read({ signal })).subarray()
        const response = await handler(request, connection.remotePeer, connection)
        await lp.write(response, { signal })
        await stream.close({ signal })
      } catch (err) {
        events.onStreamError?.(connection.remotePeer, errorReason(err))
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    },
    { maxInboundStreams, maxOutboundStreams: maxInboundStreams },
  )
}

export async function sendRequest(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr | Multiaddr[],
  protocol: string,
  request: Uint8Array,
  limits: ReqRespLimits,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(limits.timeoutMs)
  const stream = await libp2p.dialProtocol(peer, protocol, { signal })
  try {
    const lp = lpStream(stream, {
      maxDataLength: limits.maxResponseBytes,
      lengthDecoder: cappedLengthDecoder(limits.maxResponseBytes),
    })
    await lp.write(request, { signal })
    const response = (await lp.read({ signal })).subarray()
    await stream.close({ signal }).catch(() => {})
    return response
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
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
