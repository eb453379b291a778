import { describe, expect, it } from 'vitest'
import {
  InvalidKeyError,
  ML_DSA_44_PUBLIC_KEY_LENGTH,
  ML_DSA_44_SIGNATURE_LENGTH,
  MlDsa44Signer,
  verifyMlDsa44,
} from '../src/index.ts'

const message = new TextEncoder().encode('subtree/v1\n\0 a message')

describe('ML-DSA-44 signatures', () => {
  it('sign and verify; a signer rebuilt from its seed has the same public key', () => {
    const signer = MlDsa44Signer.generate()
    expect(signer.publicKey).toHaveLength(ML_DSA_44_PUBLIC_KEY_LENGTH)
    const signature = signer.sign(message)
    expect(signature).toHaveLength(ML_DSA_44_SIGNATURE_LENGTH)
    expect(verifyMlDsa44(message, signature, signer.publicKey)).toBe(true)
    expect(new MlDsa44Signer(signer.seed).publicKey).toEqual(signer.publicKey)
  })

  it('say false, never throw, on a wrong key, message, or length', () => {
    const signer = MlDsa44Signer.generate()
    const signature = signer.sign(message)
    expect(verifyMlDsa44(message, signature, MlDsa44Signer.generate().publicKey)).toBe(false)
    expect(verifyMlDsa44(message.subarray(1), signature, signer.publicKey)).toBe(false)
    expect(verifyMlDsa44(message, signature.subarray(1), signer.publicKey)).toBe(false)
    expect(verifyMlDsa44(message, signature, signer.publicKey.subarray(1))).toBe(false)
    expect(verifyMlDsa44(message, new Uint8Array(ML_DSA_44_SIGNATURE_LENGTH), signer.publicKey)).toBe(false)
  })

  it('refuse a seed of the wrong length', () => {
    expect(() => new MlDsa44Signer(new Uint8Array(31))).toThrow(InvalidKeyError)
    expect(() => new MlDsa44Signer(new Uint8Array(31))).toThrow(/an ML-DSA-44 seed is 32 bytes/)
  })
})
