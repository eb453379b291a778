import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { MAX_INBOUND_STREAMS } from './constants.ts'
import { PeerProtocolError } from './errors.ts'

/**
 * An unsigned-varint length decoder for lpStream that gives up as soon as the prefix has more
 * bytes than `maxDataLength` can need. lpStream's own check runs only once a varint completes,
 * so a peer sending bytes with the continuation bit set would hold the stream until its
 * deadline, read one byte at a time into an ever longer buffer: measured here, four such streams
 * cost the node 75-100 MiB of heap and stalled its event loop for a second at a time. (The node's
 * delivery protocol has the same decoder, `cappedLengthDecoder` in packages/node.)
 */
export function boundedLengthDecoder(maxDataLength: number): (data: { subarray(): Uint8Array }) => number {
  let maxPrefixBytes = 1
  while (2 ** (7 * maxPrefixBytes) <= maxDataLength) maxPrefixBytes++
  return (data) => {
    const bytes = data.subarray()
    let value = 0
    for (let i = 0; i < bytes.length; i++) {
      if (i >= maxPrefixBytes)
        throw new PeerProtocolError(`length prefix longer than ${maxPrefixBytes} bytes`)
      const b = bytes[i]!
      value += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) return value
    }
    // incomplete: lpStream reads another byte when the decoder throws a RangeError
    throw new RangeError('length prefix not complete yet')
  }
}

export interface RequestOptions {
  maxResponseBytes: number
  signal: AbortSignal
}

/** One length-prefixed request and its one response on a fresh stream. */
export async function requestOnce(
  libp2p: Libp2p,
  peer: PeerId,
  protocol: string,
  request: Uint8Array,
  options: RequestOptions,
): Promise<Uint8Array> {
  const stream = await libp2p.dialProtocol(peer, protocol, { signal: options.signal })
  try {
    const lp = lpStream(stream, {
      maxDataLength: options.maxResponseBytes,
      lengthDecoder: boundedLengthDecoder(options.maxResponseBytes),
    })
    await lp.write(request, { signal: options.signal })
    const response = await lp.read({ signal: options.signal })
    await stream.close({ signal: options.signal })
    return response.subarray()
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

export interface ServeOptions {
  maxRequestBytes: number
  timeoutMs: number
  /** Called with every request that failed (bad bytes, timeout, handler error): the caller counts and logs. */
  onError: (err: Error, connection: Connection) => void
}

/** Serves a one-request, one-response protocol with a request size cap and a per-stream timeout. */
export async function serveRequests(
  libp2p: Libp2p,
  protocol: string,
  handler: (request: Uint8Array, connection: Connection) => Promise<Uint8Array>,
  options: ServeOptions,
): Promise<void> {
  await libp2p.handle(
    protocol,
    async (stream, connection) => {
      const signal = AbortSignal.timeout(options.timeoutMs)
      try {
        const lp = lpStream(stream, {
          maxDataLength: options.maxRequestBytes,
          lengthDecoder: boundedLengthDecoder(options.maxRequestBytes),
        })
        const request = await lp.read({ signal })
        await lp.write(await handler(request.subarray(), connection), { signal })
        await stream.close({ signal })
      } catch (err) {
        options.onError(err as Error, connection)
        stream.abort(err as Error)
      }
    },
    { maxInboundStreams: MAX_INBOUND_STREAMS },
  )
}
