import { hkdfSync } from 'node:crypto'
import { openSecretbox, sealSecretbox, sha256 } from '@pocnet/crypto'
import { MAX_BLOB_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'

// HKDF info: binds the derived key to this one use, so the node key never encrypts anything directly.
const BLOB_KEY_INFO = 'pocnet/ledger/blob-key/v1'

/** The at-rest key of the blob store, derived from the node's Ed25519 seed. */
export function deriveBlobKey(signingSeed: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', signingSeed, new Uint8Array(0), BLOB_KEY_INFO, 32))
}

/** The content address of a blob: SHA-256 of its plaintext. */
export function blobHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes)
}

export function sealBlob(key: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_BLOB_BYTES) throw new BlobError(`a blob must be at most ${MAX_BLOB_BYTES} bytes`)
  return sealSecretbox(key, bytes)
}

/** The plaintext of a stored blob, or `undefined` when it does not authenticate under `key`. */
export function openBlob(key: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  return openSecretbox(key, sealed)
}
