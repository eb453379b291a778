import type { DialTarget, Libp2p, Stream } from '@libp2p/interface'
import { ExchangeError } from './exchange-error.ts'
import { type Frames, framesOf } from './frames.ts'

/** Opens a stream of `protocol`; a failure is `dial-failed`, or `deadline`/`aborted` when `signal` ended it. */
export async function openStream(
  libp2p: Pick<Libp2p, 'dialProtocol'>,
  target: DialTarget,
  protocol: string,
  signal: AbortSignal,
): Promise<Stream> {
  try {
    return await libp2p.dialProtocol(target, protocol, { signal })
  } catch (err) {
    const error = ExchangeError.of(err, protocol)
    if (signal.aborted && (error.failure === 'deadline' || error.failure === 'aborted')) throw error
    throw new ExchangeError('dial-failed', protocol, err)
  }
}

/** Writes a request frame and reads the response frame; the stream is left as it is. */
export async function exchangeFrames(
  frames: Frames,
  request: Uint8Array,
  signal: AbortSignal,
): Promise<Uint8Array> {
  await frames.write(request, { signal })
  return (await frames.read({ signal })).subarray()
}

/** `decode(frame)`, a throw being `decode-failed`. */
export function decodeFrame<T>(decode: (frame: Uint8Array) => T, frame: Uint8Array, protocol: string): T {
  try {
    return decode(frame)
  } catch (err) {
    throw new ExchangeError('decode-failed', protocol, err)
  }
}

export interface RequestOnceOptions<Response> {
  maxResponseBytes: number
  /** Ends the whole exchange: dialling, the request, the response. */
  signal: AbortSignal
  /** Reads the response frame; a throw is `decode-failed`. */
  decode(frame: Uint8Array): Response
}

/** One request and its one response on a fresh stream, closed after. Every failure is an ExchangeError. */
export async function requestOnce<Response>(
  libp2p: Pick<Libp2p, 'dialProtocol'>,
  peer: DialTarget,
  protocol: string,
  request: Uint8Array,
  options: RequestOnceOptions<Response>,
): Promise<Response> {
  const { signal } = options
  const stream = await openStream(libp2p, peer, protocol, signal)
  let frame: Uint8Array
  try {
    frame = await exchangeFrames(framesOf(stream, options.maxResponseBytes), request, signal)
    await stream.close({ signal })
  } catch (err) {
    const error = ExchangeError.of(err, protocol)
    stream.abort(error)
    throw error
  }
  return decodeFrame(options.decode, frame, protocol)
}
