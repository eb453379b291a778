import { createCipheriv, createDecipheriv } from 'node:crypto'

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
