import type { PeerId, Stream, StreamMessageEvent } from '@libp2p/interface'
import { FrameTooLargeError, LengthPrefixTooLongError, maxPrefixBytesFor } from '@pocnet/protocol'
import { MAX_DHT_MESSAGE_BYTES, MAX_DHT_STREAM_BYTES } from './constants.ts'

/** Why a kad-dht stream was cut: the reason codes of EXCHANGE_FAILURES it shares with pocnet's protocols. */
export type DhtStreamRefusal = 'malformed-length-prefix' | 'frame-too-large'

/** Bytes an unsigned-varint prefix of MAX_DHT_MESSAGE_BYTES needs at most. */
const MAX_PREFIX_BYTES = maxPrefixBytesFor(MAX_DHT_MESSAGE_BYTES)

/**
 * Caps what a kad-dht stream may bring in, as its bytes arrive and before kad-dht reads them:
 * kad-dht 16 reads its messages with no cap on their length (lpStream's 4 MiB buffer is all),
 * so a member announcing a huge message, or sending endless continuation bytes, made the node
 * hold what it sent until kad-dht's 10 s deadline. Watching the length prefixes, a message
 * announced over MAX_DHT_MESSAGE_BYTES or a prefix longer than that needs is refused at once, and
 * so is a stream that brings more than MAX_DHT_STREAM_BYTES in all (kad-dht reads several
 * messages per stream, and how fast it consumes them is not visible from here). The stream is
 * aborted and `onRefused` told; kad-dht then drops what it had buffered with the stream.
 */
export function capDhtStream(
  stream: Stream,
  peer: PeerId | undefined,
  onRefused: (reason: DhtStreamRefusal, peer: PeerId | undefined) => void,
): void {
  let total = 0
  let prefixValue = 0
  let prefixBytes = 0
  /** Body bytes of the current message still to come; -1 while its prefix is read. */
  let bodyLeft = -1
  const refuse = (reason: DhtStreamRefusal, error: Error) => {
    stream.removeEventListener('message', watch)
    onRefused(reason, peer)
    stream.abort(error)
  }
  const watch = (event: StreamMessageEvent) => {
    const chunks = event.data instanceof Uint8Array ? [event.data] : event.data
    for (const chunk of chunks) {
      total += chunk.length
      if (total > MAX_DHT_STREAM_BYTES)
        return refuse(
          'frame-too-large',
          new FrameTooLargeError('a kad-dht stream', total, MAX_DHT_STREAM_BYTES),
        )
      let at = 0
      while (at < chunk.length) {
        if (bodyLeft > 0) {
          const n = Math.min(bodyLeft, chunk.length - at)
          bodyLeft -= n
          at += n
          if (bodyLeft === 0) bodyLeft = -1
          continue
        }
        if (prefixBytes >= MAX_PREFIX_BYTES)
          return refuse('malformed-length-prefix', new LengthPrefixTooLongError(MAX_PREFIX_BYTES))
        const byte = chunk[at++]!
        prefixValue += (byte & 0x7f) * 2 ** (7 * prefixBytes++)
        if ((byte & 0x80) !== 0) continue
        if (prefixValue > MAX_DHT_MESSAGE_BYTES)
          return refuse(
            'frame-too-large',
            new FrameTooLargeError('the announced kad-dht message', prefixValue, MAX_DHT_MESSAGE_BYTES),
          )
        bodyLeft = prefixValue === 0 ? -1 : prefixValue
        prefixValue = 0
        prefixBytes = 0
      }
    }
  }
  stream.addEventListener('message', watch)
}
