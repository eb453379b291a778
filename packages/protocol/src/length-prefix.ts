import { LengthPrefixTooLongError } from './errors.ts'

/** How many bytes an unsigned-varint length prefix of at most `maxDataLength` can need. */
export function maxPrefixBytesFor(maxDataLength: number): number {
  let maxPrefixBytes = 1
  while (2 ** (7 * maxPrefixBytes) <= maxDataLength) maxPrefixBytes++
  return maxPrefixBytes
}

/**
 * An unsigned-varint length decoder for lpStream (`@libp2p/utils`) that gives up as soon as the
 * prefix has more bytes than `maxDataLength` can need. lpStream's own check runs only once a
 * varint completes, so a peer sending bytes with the continuation bit set would hold the stream
 * until its deadline, read one byte at a time into an ever longer buffer: measured here, four
 * such streams cost a node 75-100 MiB of heap and stalled its event loop for a second at a time.
 * pocnet's own protocols read frames with FrameReader, which applies the same rule.
 */
export function cappedLengthDecoder(maxDataLength: number): (data: { subarray(): Uint8Array }) => number {
  const maxPrefixBytes = maxPrefixBytesFor(maxDataLength)
  return (data) => {
    const bytes = data.subarray()
    let value = 0
    for (let i = 0; i < bytes.length; i++) {
      if (i >= maxPrefixBytes) throw new LengthPrefixTooLongError(maxPrefixBytes)
      const b = bytes[i]!
      value += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) return value
    }
    // incomplete: lpStream reads another byte when the decoder throws a RangeError
    throw new RangeError('length prefix not complete yet')
  }
}
