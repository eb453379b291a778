import { describe, expect, it } from 'vitest'
import { cappedLengthDecoder, LengthPrefixTooLongError } from '../src/index.ts'

const prefix = (...bytes: number[]) => ({ subarray: () => Uint8Array.from(bytes) })

describe('cappedLengthDecoder', () => {
  it('decodes an unsigned varint, and asks for more while one is incomplete', () => {
    const decode = cappedLengthDecoder(1 << 20)
    expect(decode(prefix(0x00))).toBe(0)
    expect(decode(prefix(0x7f))).toBe(127)
    expect(decode(prefix(0xac, 0x02))).toBe(300)
    // lpStream reads another byte on a RangeError
    expect(() => decode(prefix(0xac))).toThrow(RangeError)
  })

  it('gives up once the prefix is longer than the largest allowed length could need', () => {
    // 2^20 needs 3 varint bytes: a 4th continuation byte is garbage, whatever follows
    const decode = cappedLengthDecoder(1 << 20)
    expect(() => decode(prefix(0xff, 0xff, 0xff))).toThrow(RangeError)
    expect(() => decode(prefix(0xff, 0xff, 0xff, 0x80))).toThrow(LengthPrefixTooLongError)
    expect(() => decode(prefix(0xff, 0xff, 0xff, 0x01))).toThrow(LengthPrefixTooLongError)
    // the cap on the value itself is lpStream's (maxDataLength): the decoder only bounds the prefix
    expect(cappedLengthDecoder(127)(prefix(0x7f))).toBe(127)
    expect(() => cappedLengthDecoder(127)(prefix(0x80, 0x01))).toThrow(LengthPrefixTooLongError)
  })
})
