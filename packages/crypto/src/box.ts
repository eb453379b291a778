import { randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import { InvalidKeyError } from './errors.ts'

export const BOX_PUBLIC_KEY_LENGTH = nacl.box.publicKeyLength
export const BOX_SECRET_KEY_LENGTH = nacl.box.secretKeyLength
export const BOX_NONCE_LENGTH = nacl.box.nonceLength
export const BOX_OVERHEAD = nacl.box.overheadLength

export interface BoxKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

export function generateBoxKeyPair(): BoxKeyPair {
  return boxKeyPairFromSecret(new Uint8Array(randomBytes(BOX_SECRET_KEY_LENGTH)))
}

export function boxKeyPairFromSecret(secretKey: Uint8Array): BoxKeyPair {
  if (secretKey.length !== BOX_SECRET_KEY_LENGTH)
    throw new InvalidKeyError('an X25519 secret key is 32 bytes')
  const kp = nacl.box.keyPair.fromSecretKey(secretKey)
  return { publicKey: kp.publicKey, secretKey: kp.secretKey }
}

export interface Sealed {
  nonce: Uint8Array
  ciphertext: Uint8Array
}

const SHARED_KEY_CACHE_MAX = 512

/**
 * NaCl box (X25519-XSalsa20-Poly1305) for one local key pair. The X25519 shared key with
 * each counterpart is computed once (`box.before`) and cached, bounded, since the scalar
 * multiplication is the expensive part and a node talks to a few dozen countries.
 */
export class BoxKeyring {
  readonly publicKey: Uint8Array
  readonly #secretKey: Uint8Array
  readonly #shared = new Map<string, Uint8Array>()

  constructor(keyPair: BoxKeyPair) {
    this.publicKey = keyPair.publicKey
    this.#secretKey = keyPair.secretKey
  }

  /**
   * The NaCl box key shared with `theirPublicKey` (X25519, then HSalsa20: `box.before`), for the
   * hybrid box, which feeds it to its key schedule beside the KEM secret (hybrid-box.ts).
   */
  sharedKey(theirPublicKey: Uint8Array): Uint8Array {
    return this.#sharedKey(theirPublicKey)
  }

  #sharedKey(theirPublicKey: Uint8Array): Uint8Array {
    if (theirPublicKey.length !== BOX_PUBLIC_KEY_LENGTH)
      throw new InvalidKeyError('an X25519 public key is 32 bytes')
    const id = Buffer.from(
      theirPublicKey.buffer,
      theirPublicKey.byteOffset,
      theirPublicKey.byteLength,
    ).toString('base64')
    let key = this.#shared.get(id)
    if (key === undefined) {
      key = nacl.box.before(theirPublicKey, this.#secretKey)
      if (this.#shared.size >= SHARED_KEY_CACHE_MAX)
        this.#shared.delete(this.#shared.keys().next().value as string)
      this.#shared.set(id, key)
    }
    return key
  }

  /** Encrypts to `theirPublicKey` under a fresh random 24-byte nonce. */
  seal(plaintext: Uint8Array, theirPublicKey: Uint8Array): Sealed {
    const nonce = new Uint8Array(randomBytes(BOX_NONCE_LENGTH))
    return { nonce, ciphertext: nacl.box.after(plaintext, nonce, this.#sharedKey(theirPublicKey)) }
  }

  /** The plaintext, or `undefined` when the ciphertext does not authenticate. */
  open(ciphertext: Uint8Array, nonce: Uint8Array, theirPublicKey: Uint8Array): Uint8Array | undefined {
    if (nonce.length !== BOX_NONCE_LENGTH || theirPublicKey.length !== BOX_PUBLIC_KEY_LENGTH) return undefined
    if (ciphertext.length < BOX_OVERHEAD) return undefined
    return nacl.box.open.after(ciphertext, nonce, this.#sharedKey(theirPublicKey)) ?? undefined
  }
}
