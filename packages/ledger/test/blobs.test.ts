import { NodeIdentity } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { blobHash, deriveBlobKey, openBlob, sealBlob } from '../src/blobs.ts'
import { MAX_BLOB_BYTES } from '../src/constants.ts'
import { BlobError } from '../src/errors.ts'

describe('blob encryption', () => {
  const seed = NodeIdentity.generate().secrets.signingSeed

  it('derives one stable key per node key, different from the seed itself', () => {
    const key = deriveBlobKey(seed)
    expect(key).toHaveLength(32)
    expect(deriveBlobKey(seed)).toEqual(key)
    expect(key).not.toEqual(seed)
    expect(deriveBlobKey(NodeIdentity.generate().secrets.signingSeed)).not.toEqual(key)
  })

  it('seals with a fresh nonce and opens only under the same key and unaltered bytes', () => {
    const key = deriveBlobKey(seed)
    const bytes = new TextEncoder().encode('a sealed envelope')
    const a = sealBlob(key, bytes)
    const b = sealBlob(key, bytes)
    expect(a).not.toEqual(b)
    expect(openBlob(key, a)).toEqual(bytes)
    expect(openBlob(deriveBlobKey(NodeIdentity.generate().secrets.signingSeed), a)).toBeUndefined()
    const flipped = a.slice()
    flipped[30]! ^= 1
    expect(openBlob(key, flipped)).toBeUndefined()
    expect(openBlob(key, a.subarray(0, 10))).toBeUndefined()
    expect(blobHash(bytes)).toHaveLength(32)
  })

  it('refuses blobs over the size cap', () => {
    expect(() => sealBlob(deriveBlobKey(seed), new Uint8Array(MAX_BLOB_BYTES + 1))).toThrow(BlobError)
  })
})
