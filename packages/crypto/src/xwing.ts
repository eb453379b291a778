import {
  createHash,
  createPrivateKey,
  createPublicKey,
  decapsulate,
  diffieHellman,
  encapsulate,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import { InvalidKeyError } from './errors.ts'

/*
 * X-Wing, the hybrid KEM of draft-connolly-cfrg-xwing-kem: ML-KEM-768 and X25519, their shared
 * secrets combined with SHA3-256 over both secrets, the X25519 ciphertext and public key, and a
 * fixed label. It stays IND-CCA secure while either half holds. Everything here is node:crypto.
 */

export const XWING_SEED_LENGTH = 32
export const XWING_PUBLIC_KEY_LENGTH = 1216
export const XWING_CIPHERTEXT_LENGTH = 1120
export const XWING_SHARED_SECRET_LENGTH = 32

const MLKEM_PUBLIC_KEY_LENGTH = 1184
const MLKEM_CIPHERTEXT_LENGTH = 1088
/** The draft's XWingLabel, the ASCII art `\./` `/^\`. */
const XWING_LABEL = new Uint8Array([0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c])

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** node:crypto's raw key inputs are typed as Buffers: a view of the same memory, no copy. */
function buffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
}

/** SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel): the draft's combiner. */
function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  return bytes(
    createHash('sha3-256').update(ssM).update(ssX).update(ctX).update(pkX).update(XWING_LABEL).digest(),
  )
}

/** X25519 of our private key and their raw public key; undefined when it is a low-order point. */
function x25519(privateKey: KeyObject, theirPublicKey: Uint8Array): Uint8Array | undefined {
  try {
    const publicKey = createPublicKey({
      key: buffer(theirPublicKey),
      format: 'raw-public',
      asymmetricKeyType: 'x25519',
    })
    return bytes(diffieHellman({ privateKey, publicKey }))
  } catch {
    // OpenSSL refuses an all-zero shared secret: only a crafted ciphertext or key gives one
    return undefined
  }
}

export interface XWingEncapsulation {
  sharedSecret: Uint8Array
  ciphertext: Uint8Array
}

/** An X-Wing public (encapsulation) key, parsed once: its halves as node:crypto key objects. */
export class XWingPublicKey {
  readonly bytes: Uint8Array
  readonly #mlkem: KeyObject
  readonly #x25519: Uint8Array

  /** Throws InvalidKeyError when `publicKey` is not a 1216-byte X-Wing key ML-KEM accepts. */
  constructor(publicKey: Uint8Array) {
    if (publicKey.length !== XWING_PUBLIC_KEY_LENGTH)
      throw new InvalidKeyError(`an X-Wing public key is ${XWING_PUBLIC_KEY_LENGTH} bytes`)
    this.bytes = publicKey
    try {
      this.#mlkem = createPublicKey({
        key: buffer(publicKey.subarray(0, MLKEM_PUBLIC_KEY_LENGTH)),
        format: 'raw-public',
        asymmetricKeyType: 'ml-kem-768',
      })
    } catch {
      throw new InvalidKeyError('the ML-KEM-768 half of the X-Wing public key is not a valid key')
    }
    this.#x25519 = publicKey.slice(MLKEM_PUBLIC_KEY_LENGTH)
  }

  /** A fresh shared secret and the ciphertext that carries it to the key's holder. */
  encapsulate(): XWingEncapsulation {
    const mlkem = encapsulate(this.#mlkem)
    const ephemeral = generateKeyPairSync('x25519')
    const ctX = bytes(ephemeral.publicKey.export({ format: 'raw-public' }))
    const ssX = x25519(ephemeral.privateKey, this.#x25519)
    if (ssX === undefined)
      throw new InvalidKeyError('the X25519 half of the X-Wing public key is a low-order point')
    const ciphertext = new Uint8Array(XWING_CIPHERTEXT_LENGTH)
    ciphertext.set(mlkem.ciphertext, 0)
    ciphertext.set(ctX, MLKEM_CIPHERTEXT_LENGTH)
    return { sharedSecret: combine(bytes(mlkem.sharedKey), ssX, ctX, this.#x25519), ciphertext }
  }
}

/**
 * An X-Wing key pair from its 32-byte seed, expanded once (SHAKE256 to 96 bytes: the ML-KEM-768
 * seed d ‖ z, then the X25519 secret), so decapsulation does not redo the key generation.
 */
export class XWingKeyPair {
  readonly publicKey: Uint8Array
  readonly #mlkem: KeyObject
  readonly #x25519: KeyObject
  readonly #x25519Public: Uint8Array

  constructor(seed: Uint8Array) {
    if (seed.length !== XWING_SEED_LENGTH)
      throw new InvalidKeyError(`an X-Wing seed is ${XWING_SEED_LENGTH} bytes`)
    const expanded = createHash('shake256', { outputLength: 96 }).update(seed).digest()
    this.#mlkem = createPrivateKey({
      key: expanded.subarray(0, 64),
      format: 'raw-seed',
      asymmetricKeyType: 'ml-kem-768',
    })
    this.#x25519 = createPrivateKey({
      key: expanded.subarray(64, 96),
      format: 'raw-private',
      asymmetricKeyType: 'x25519',
    })
    expanded.fill(0)
    this.#x25519Public = bytes(createPublicKey(this.#x25519).export({ format: 'raw-public' }))
    this.publicKey = new Uint8Array(XWING_PUBLIC_KEY_LENGTH)
    this.publicKey.set(bytes(createPublicKey(this.#mlkem).export({ format: 'raw-public' })), 0)
    this.publicKey.set(this.#x25519Public, MLKEM_PUBLIC_KEY_LENGTH)
  }

  /**
   * The shared secret in `ciphertext`, or undefined when it is not 1120 bytes or its X25519 half
   * is a low-order point. ML-KEM rejects implicitly: a ciphertext for another key yields a
   * different, unrelated secret, which the caller's authenticated encryption then refuses.
   */
  decapsulate(ciphertext: Uint8Array): Uint8Array | undefined {
    if (ciphertext.length !== XWING_CIPHERTEXT_LENGTH) return undefined
    const ctX = ciphertext.subarray(MLKEM_CIPHERTEXT_LENGTH)
    const ssX = x25519(this.#x25519, ctX)
    if (ssX === undefined) return undefined
    const ssM = bytes(decapsulate(this.#mlkem, ciphertext.subarray(0, MLKEM_CIPHERTEXT_LENGTH)))
    return combine(ssM, ssX, ctX, this.#x25519Public)
  }
}
