import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { cappedLengthDecoder } from '@pocnet/protocol'
import { MAX_INBOUND_STREAMS } from './constants.ts'

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
      lengthDecoder: cappedLengthDecoder(options.maxResponseBytes),
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
          lengthDecoder: cappedLengthDecoder(options.maxRequestBytes),
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
