import type { Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { cappedLengthDecoder } from '../length-prefix.ts'

export type Frames = LengthPrefixedStream<Stream>

/**
 * `stream` read and written as frames: an unsigned varint length, then that many bytes. A read
 * fails before any body is buffered when the length is over `maxFrameBytes` (`frame-too-large`)
 * or its prefix is longer than that could need (`malformed-length-prefix`).
 */
export function framesOf(stream: Stream, maxFrameBytes: number): Frames {
  return lpStream(stream, {
    maxDataLength: maxFrameBytes,
    lengthDecoder: cappedLengthDecoder(maxFrameBytes),
  })
}
