import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH } from '@pocnet/crypto'
import { decode, encode } from './cbor.ts'
import { MessageFieldError } from './errors.ts'

/**
 * Every signed structure travels as a CBOR array [signer, signed, signature]: the signer's
 * Ed25519 public key, the exact signed bytes (themselves a CBOR map) and the signature. A
 * reader verifies the signature over `signed` as received, and only then decodes it.
 */
export interface SignedFrame {
  signer: Uint8Array
  signed: Uint8Array
  signature: Uint8Array
}

export function encodeSignedFrame(frame: SignedFrame): Uint8Array {
  return encode([frame.signer, frame.signed, frame.signature])
}

/** Throws CborDecodeError or MessageFieldError when `bytes` is not a well-formed frame. */
export function decodeSignedFrame(bytes: Uint8Array, field: string, maxBytes: number): SignedFrame {
  const value = decode(bytes, { maxBytes, maxDepth: 1 })
  if (!Array.isArray(value) || value.length !== 3) {
    throw new MessageFieldError(field, 'must be an array [signer, signed, signature]')
  }
  const [signer, signed, signature] = value
  if (!(signer instanceof Uint8Array) || signer.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new MessageFieldError(
      `${field}[0]`,
      `must be a ${ED25519_PUBLIC_KEY_LENGTH}-byte Ed25519 public key`,
    )
  }
  if (!(signed instanceof Uint8Array)) throw new MessageFieldError(`${field}[1]`, 'must be a byte string')
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_LENGTH) {
    throw new MessageFieldError(`${field}[2]`, `must be a ${ED25519_SIGNATURE_LENGTH}-byte Ed25519 signature`)
  }
  return { signer, signed, signature }
}
