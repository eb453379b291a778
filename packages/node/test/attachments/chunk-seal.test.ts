import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CHUNK_TAG_BYTES, digestChunk, openChunk, sealChunk } from '../../src/attachments/chunk-seal.ts'

const id = 'ab'.repeat(16)
const other = 'cd'.repeat(16)

describe('attachment chunk sealing', () => {
  const key = randomBytes(32)
  const plain = randomBytes(1000)

  it('opens what it sealed, the tag added', () => {
    const sealed = sealChunk(key, id, 3, 10, plain)
    expect(sealed.length).toBe(plain.length + CHUNK_TAG_BYTES)
    expect(openChunk(key, id, 3, 10, sealed)).toEqual(plain)
  })

  it('refuses a chunk under another key, of another attachment, index or count, or altered', () => {
    const sealed = sealChunk(key, id, 3, 10, plain)
    expect(openChunk(randomBytes(32), id, 3, 10, sealed)).toBeUndefined()
    expect(openChunk(key, other, 3, 10, sealed)).toBeUndefined()
    expect(openChunk(key, id, 4, 10, sealed)).toBeUndefined()
    expect(openChunk(key, id, 3, 9, sealed)).toBeUndefined()
    const flipped = Buffer.from(sealed)
    flipped[0]! ^= 1
    expect(openChunk(key, id, 3, 10, flipped)).toBeUndefined()
    expect(openChunk(key, id, 3, 10, sealed.subarray(0, 8))).toBeUndefined()
  })

  it('digests a chunk a slice at a time, as the whole plain bytes would hash', () => {
    const big = randomBytes(200_000)
    const sealed = sealChunk(key, id, 1, 2, big)
    const whole = createHash('sha256')
    expect(digestChunk(key, id, 1, 2, sealed, whole)).toEqual({
      sha256: createHash('sha256').update(big).digest('hex'),
      length: big.length,
    })
    expect(whole.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'))
    expect(digestChunk(key, id, 0, 2, sealed)).toBeUndefined()
  })

  it('seals an empty chunk to its tag alone', () => {
    const sealed = sealChunk(key, id, 0, 1, new Uint8Array())
    expect(sealed.length).toBe(CHUNK_TAG_BYTES)
    expect(openChunk(key, id, 0, 1, sealed)).toEqual(Buffer.alloc(0))
  })
})
