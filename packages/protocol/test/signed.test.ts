import { describe, expect, it } from 'vitest'
import {
  CborDecodeError,
  CborTooDeepError,
  CborTooLargeError,
  encode,
  MessageFieldError,
} from '../src/index.ts'
import { decodeSignedFrame, encodeSignedFrame } from '../src/signed.ts'

const signer = new Uint8Array(32).fill(1)
const signed = encode({ a: 1 })
const signature = new Uint8Array(64).fill(2)

function fieldOf(bytes: Uint8Array): string {
  try {
    decodeSignedFrame(bytes, 'frame', 1024)
  } catch (err) {
    expect(err).toBeInstanceOf(MessageFieldError)
    return (err as MessageFieldError).field
  }
  throw new Error('expected the frame to be refused')
}

describe('signed frame [signer, signed, signature]', () => {
  it('round trip, keeping the signed bytes exactly', () => {
    const bytes = encodeSignedFrame({ signer, signed, signature })
    expect(bytes[0]).toBe(0x83)
    expect(decodeSignedFrame(bytes, 'frame', 1024)).toEqual({ signer, signed, signature })
  })

  it('names the element that breaks the frame rules', () => {
    expect(fieldOf(encode([signer, signed]))).toBe('frame')
    expect(fieldOf(encode([signer, signed, signature, signature]))).toBe('frame')
    expect(fieldOf(encode({ signer }))).toBe('frame')
    expect(fieldOf(encode([signer.subarray(1), signed, signature]))).toBe('frame[0]')
    expect(fieldOf(encode(['key', signed, signature]))).toBe('frame[0]')
    expect(fieldOf(encode([signer, 'signed', signature]))).toBe('frame[1]')
    expect(fieldOf(encode([signer, signed, signature.subarray(1)]))).toBe('frame[2]')
  })

  it('decodes only one level: nested structures and oversize input are CBOR errors', () => {
    expect(() => decodeSignedFrame(encode([signer, [signed], signature]), 'frame', 1024)).toThrow(
      CborTooDeepError,
    )
    const bytes = encodeSignedFrame({ signer, signed, signature })
    expect(() => decodeSignedFrame(bytes, 'frame', bytes.length - 1)).toThrow(CborTooLargeError)
    expect(() => decodeSignedFrame(bytes.subarray(0, 50), 'frame', 1024)).toThrow(CborDecodeError)
  })
})
