import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'

/** Bytes AES-256-GCM adds to a chunk: its tag. */
export const CHUNK_TAG_BYTES = 16
const LABEL = new TextEncoder().encode('pocnet attachment chunk v1')

/**
 * The nonce of chunk `index`: the index, big-endian, in the last 8 of 12 bytes. Each key seals one
 * attachment, each chunk once (at upload), so no nonce repeats under a key.
 */
function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64BE(BigInt(index), 4)
  return nonce
}

/** The data a chunk's tag also covers: which attachment, which chunk, of how many (no swap, no cut). */
function aadOf(id: string, index: number, count: number): Buffer {
  const aad = Buffer.alloc(LABEL.length + 16 + 16)
  aad.set(LABEL, 0)
  Buffer.from(id, 'hex').copy(aad, LABEL.length)
  aad.writeBigUInt64BE(BigInt(index), LABEL.length + 16)
  aad.writeBigUInt64BE(BigInt(count), LABEL.length + 24)
  return aad
}

/** Seals chunk `index` of `count` of attachment `id`: ciphertext then tag. */
export function sealChunk(
  key: Uint8Array,
  id: string,
  index: number,
  count: number,
  plain: Uint8Array,
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(index))
  cipher.setAAD(aadOf(id, index, count))
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
}

/** Opens a sealed chunk; undefined when it is not chunk `index` of `count` of `id` under `key`, untouched. */
export function openChunk(
  key: Uint8Array,
  id: string,
  index: number,
  count: number,
  sealed: Uint8Array,
): Buffer | undefined {
  if (sealed.length < CHUNK_TAG_BYTES) return undefined
  const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(index))
  decipher.setAAD(aadOf(id, index, count))
  decipher.setAuthTag(sealed.subarray(sealed.length - CHUNK_TAG_BYTES))
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - CHUNK_TAG_BYTES)),
      decipher.final(),
    ])
  } catch {
    return undefined
  }
}

/** What `digestChunk` also feeds with a chunk's plain bytes: the whole file's hash, or a holder of them. */
export interface PlainSink {
  update(plain: Buffer): unknown
}

/** Bytes opened at a time by `digestChunk`: small buffers the young generation frees at once. */
const DIGEST_SLICE_BYTES = 64 * 1024

/**
 * The SHA-256 (hex) and length of a sealed chunk's plain bytes, opened a slice at a time (never the
 * whole chunk in memory again), each slice also fed to `whole` when given; undefined when the chunk
 * is not chunk `index` of `count` of `id` under `key`. `whole` has then been fed bytes the tag did
 * not vouch for: its caller discards it.
 */
export function digestChunk(
  key: Uint8Array,
  id: string,
  index: number,
  count: number,
  sealed: Uint8Array,
  whole?: PlainSink,
): { sha256: string; length: number } | undefined {
  if (sealed.length < CHUNK_TAG_BYTES) return undefined
  const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(index))
  decipher.setAAD(aadOf(id, index, count))
  const body = sealed.subarray(0, sealed.length - CHUNK_TAG_BYTES)
  decipher.setAuthTag(sealed.subarray(body.length))
  const hash = createHash('sha256')
  for (let at = 0; at < body.length; at += DIGEST_SLICE_BYTES) {
    const plain = decipher.update(body.subarray(at, at + DIGEST_SLICE_BYTES))
    hash.update(plain)
    whole?.update(plain)
  }
  try {
    decipher.final()
  } catch {
    return undefined
  }
  return { sha256: hash.digest('hex'), length: body.length }
}
