import type { Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { cappedLengthDecoder } from '../length-prefix.ts'

export type Frames = LengthPrefixedStream<Stream>

/** How many bytes lpStream buffers unread by default; past that it aborts the stream (StreamBufferError). */
const LPSTREAM_DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024
/** The longest unsigned varint a JavaScript safe integer needs. */
const MAX_PREFIX_BYTES = 8

/**
 * `stream` read and written as frames: an unsigned varint length, then that many bytes. A read
 * fails before any body is buffered when the length is over `maxFrameBytes` (`frame-too-large`)
 * or its prefix is longer than that could need (`malformed-length-prefix`). The read buffer holds
 * at least one whole frame: lpStream's default of 4 MiB would refuse a roster answer near its
 * 4 MiB + 64 cap.
 */
export function framesOf(stream: Stream, maxFrameBytes: number): Frames {
  return lpStream(stream, {
    maxDataLength: maxFrameBytes,
    maxBufferSize: Math.max(LPSTREAM_DEFAULT_BUFFER_BYTES, maxFrameBytes + MAX_PREFIX_BYTES),
    lengthDecoder: cappedLengthDecoder(maxFrameBytes),
  })
}
