import { randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import { InvalidKeyError } from './errors.ts'

export const SECRETBOX_KEY_LENGTH = nacl.secretbox.keyLength
/** Bytes a sealed value carries beyond its plaintext: the 24-byte nonce and the 16-byte tag. */
export const SECRETBOX_OVERHEAD = nacl.secretbox.nonceLength + nacl.secretbox.overheadLength

/** XSalsa20-Poly1305 under `key` with a fresh random nonce; returns nonce || ciphertext. */
export function sealSecretbox(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (key.length !== SECRETBOX_KEY_LENGTH) throw new InvalidKeyError('a secretbox key is 32 bytes')
  const nonce = new Uint8Array(randomBytes(nacl.secretbox.nonceLength))
  const box = nacl.secretbox(plaintext, nonce, key)
  const out = new Uint8Array(nonce.length + box.length)
  out.set(nonce, 0)
  out.set(box, nonce.length)
  return out
}

/** The plaintext of `sealSecretbox` output, or `undefined` when it does not authenticate. */
export function openSecretbox(key: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (key.length !== SECRETBOX_KEY_LENGTH) throw new InvalidKeyError('a secretbox key is 32 bytes')
  if (sealed.length < SECRETBOX_OVERHEAD) return undefined
  const nonce = sealed.subarray(0, nacl.secretbox.nonceLength)
  return nacl.secretbox.open(sealed.subarray(nacl.secretbox.nonceLength), nonce, key) ?? undefined
}
