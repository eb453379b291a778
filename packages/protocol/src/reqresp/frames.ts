import type { AbortOptions, Stream } from '@libp2p/interface'
import { type FrameCharge, FrameReader } from './frame-reader.ts'

/** A stream read and written as frames: an unsigned varint length, then that many bytes. */
export interface Frames {
  /** The next whole frame (see FrameReader for what is refused). */
  read(options?: AbortOptions): Promise<Uint8Array>
  /** Sends `frame` behind its length prefix, waiting while the stream's send buffer is full. */
  write(frame: Uint8Array, options?: AbortOptions): Promise<void>
}

/**
 * `stream` as frames of at most `maxFrameBytes` each way it is read (FrameReader). With a
 * `charge`, the bytes of frames being read are taken from the node's frame budget. Once reading
 * has failed, a write fails with the same error, so that a refusal is reported as itself and not
 * as the aborted stream it leaves.
 */
export function framesOf(stream: Stream, maxFrameBytes: number, charge?: FrameCharge): Frames {
  const reader = new FrameReader(stream, maxFrameBytes, charge)
  return {
    read: (options) => reader.read(options),
    async write(frame, options) {
      if (reader.failure !== undefined) throw reader.failure
      try {
        if (!stream.send(withLengthPrefix(frame))) await stream.onDrain(options)
      } catch (err) {
        throw reader.failure ?? err
      }
    },
  }
}

/** `frame` behind its unsigned-varint length. */
function withLengthPrefix(frame: Uint8Array): Uint8Array {
  const prefix: number[] = []
  let rest = frame.length
  while (rest >= 0x80) {
    prefix.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  prefix.push(rest)
  const out = new Uint8Array(prefix.length + frame.length)
  out.set(prefix)
  out.set(frame, prefix.length)
  return out
}
