import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto'
import { InvalidKeyError } from './errors.ts'

/*
 * ML-DSA-44 (FIPS 204), as node:crypto (OpenSSL 3.5) has it: "pure" signatures with the empty
 * context string, which is what C2SP tlog-cosignature's 0x06 cosignatures are. A key is kept as
 * its 32-byte seed (FIPS 204 ξ), from which node:crypto expands the signing key.
 */

export const ML_DSA_44_SEED_LENGTH = 32
export const ML_DSA_44_PUBLIC_KEY_LENGTH = 1312
export const ML_DSA_44_SIGNATURE_LENGTH = 2420

const ALGORITHM = 'ml-dsa-44'

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== ML_DSA_44_SEED_LENGTH)
    throw new InvalidKeyError(`an ML-DSA-44 seed is ${ML_DSA_44_SEED_LENGTH} bytes`)
  return createPrivateKey({ key: Buffer.from(seed), format: 'raw-seed', asymmetricKeyType: ALGORITHM })
}

/** Signs with one ML-DSA-44 key (hedged signing, empty context); the key object is made once. */
export class MlDsa44Signer {
  readonly publicKey: Uint8Array
  readonly seed: Uint8Array
  readonly #key: KeyObject

  constructor(seed: Uint8Array) {
    this.#key = privateKeyObject(seed)
    this.seed = seed
    this.publicKey = new Uint8Array(createPublicKey(this.#key).export({ format: 'raw-public' }))
  }

  static generate(): MlDsa44Signer {
    const { privateKey } = generateKeyPairSync(ALGORITHM)
    return new MlDsa44Signer(new Uint8Array(privateKey.export({ format: 'raw-seed' })))
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, message, this.#key))
  }
}

// Verification keys seen recently; bounded so a flood of unknown keys cannot grow memory.
const VERIFY_KEY_CACHE_MAX = 256
const verifyKeyCache = new Map<string, KeyObject>()

function cachedPublicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64')
  let key = verifyKeyCache.get(id)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(publicKey), format: 'raw-public', asymmetricKeyType: ALGORITHM })
    if (verifyKeyCache.size >= VERIFY_KEY_CACHE_MAX)
      verifyKeyCache.delete(verifyKeyCache.keys().next().value as string)
    verifyKeyCache.set(id, key)
  }
  return key
}

/**
 * True only if `signature` is a valid ML-DSA-44 signature (empty context) by `publicKey` over
 * `message`. Wrong-length keys or signatures are simply invalid: this never throws on
 * attacker-controlled input.
 */
export function verifyMlDsa44(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ML_DSA_44_SIGNATURE_LENGTH || publicKey.length !== ML_DSA_44_PUBLIC_KEY_LENGTH)
    return false
  let key: KeyObject
  try {
    key = cachedPublicKeyObject(publicKey)
  } catch {
    return false
  }
  return nodeVerify(null, message, key, signature)
}
