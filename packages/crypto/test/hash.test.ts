import { describe, expect, it } from 'vitest'
import { bytesEqual, fromHex, sha256, toHex } from '../src/index.ts'

describe('hash helpers', () => {
  it('sha256 of the concatenated parts (FIPS 180-2 "abc" vector)', () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe(abc)
    expect(toHex(sha256(new TextEncoder().encode('a'), new TextEncoder().encode('bc')))).toBe(abc)
  })

  it('bytesEqual compares content and length', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false)
  })

  it('hex round trip, refusing odd lengths and non-hex digits', () => {
    expect(toHex(fromHex('00ff10'))).toBe('00ff10')
    expect(fromHex('ABcd')).toEqual(new Uint8Array([0xab, 0xcd]))
    expect(() => fromHex('abc')).toThrow(TypeError)
    expect(() => fromHex('zz')).toThrow(TypeError)
  })
})
