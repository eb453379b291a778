import { encode } from '@pocnet/protocol/cbor'
import { describe, expect, it } from 'vitest'
import {
  decodeChunkRequest,
  decodeChunkResponse,
  encodeChunkRequest,
  encodeChunkResponse,
  MAX_CHUNK_RESPONSE_BYTES,
} from '../../src/attachments/wire.ts'

const id = '0f'.repeat(16)

describe('attachment protocol frames', () => {
  it('round-trips requests and responses', () => {
    expect(decodeChunkRequest(encodeChunkRequest({ id, index: 7 }))).toEqual({ id, index: 7 })
    expect(decodeChunkRequest(encodeChunkRequest({ id, done: true }))).toEqual({ id, done: true })
    const chunk = new Uint8Array([1, 2, 3])
    expect(decodeChunkResponse(encodeChunkResponse({ chunk }))).toEqual({ chunk })
    expect(decodeChunkResponse(encodeChunkResponse({ ok: true }))).toEqual({ ok: true })
    expect(decodeChunkResponse(encodeChunkResponse({ error: 'unknown' }))).toEqual({ error: 'unknown' })
  })

  it('refuses a bad id, a negative or huge index, extra fields and unknown errors', () => {
    expect(() => decodeChunkRequest(encode({ id: 'x', index: 0 }))).toThrow(/32 hex/)
    expect(() => decodeChunkRequest(encode({ id, index: -1 }))).toThrow(/index/)
    expect(() => decodeChunkRequest(encode({ id, index: 1e9 }))).toThrow(/index/)
    expect(() => decodeChunkRequest(encode({ id, index: 1, more: 1 }))).toThrow(/only id and index/)
    expect(() => decodeChunkResponse(encode({ error: 'nope' }))).toThrow(/known error/)
  })

  it('refuses a response frame larger than the largest sealed chunk', () => {
    const big = encode({ chunk: new Uint8Array(MAX_CHUNK_RESPONSE_BYTES) })
    expect(() => decodeChunkResponse(big)).toThrow()
  })
})
