import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import {
  BOX_NONCE_LENGTH,
  BOX_OVERHEAD,
  BoxKeyring,
  boxKeyPairFromSecret,
  generateBoxKeyPair,
  InvalidKeyError,
} from '../src/index.ts'

const message = new TextEncoder().encode('preserve the logs of 203.0.113.7, 2026-11-28T10:00:00Z')

describe('BoxKeyring', () => {
  const alice = generateBoxKeyPair()
  const bob = generateBoxKeyPair()
  const aliceRing = new BoxKeyring(alice)
  const bobRing = new BoxKeyring(bob)

  it('round trip between two key pairs, with a fresh 24-byte nonce each time', () => {
    const a = aliceRing.seal(message, bob.publicKey)
    const b = aliceRing.seal(message, bob.publicKey)
    expect(a.nonce.length).toBe(BOX_NONCE_LENGTH)
    expect(a.ciphertext.length).toBe(message.length + BOX_OVERHEAD)
    expect(a.nonce).not.toEqual(b.nonce)
    expect(bobRing.open(a.ciphertext, a.nonce, alice.publicKey)).toEqual(message)
    expect(bobRing.open(b.ciphertext, b.nonce, alice.publicKey)).toEqual(message)
  })

  it('is plain NaCl box: interoperates with tweetnacl box both ways', () => {
    const sealed = aliceRing.seal(message, bob.publicKey)
    expect(nacl.box.open(sealed.ciphertext, sealed.nonce, alice.publicKey, bob.secretKey)).toEqual(message)
    const nonce = nacl.randomBytes(BOX_NONCE_LENGTH)
    const ciphertext = nacl.box(message, nonce, bob.publicKey, alice.secretKey)
    expect(aliceRing.open(ciphertext, nonce, bob.publicKey)).toEqual(message)
  })

  it('returns undefined for tampered, misaddressed or malformed input', () => {
    const { nonce, ciphertext } = aliceRing.seal(message, bob.publicKey)
    for (let i = 0; i < ciphertext.length; i++) {
      const tampered = ciphertext.slice()
      tampered[i]! ^= 0x01
      expect(bobRing.open(tampered, nonce, alice.publicKey)).toBeUndefined()
    }
    const otherNonce = nonce.slice()
    otherNonce[0]! ^= 1
    expect(bobRing.open(ciphertext, otherNonce, alice.publicKey)).toBeUndefined()
    const carol = new BoxKeyring(generateBoxKeyPair())
    expect(carol.open(ciphertext, nonce, alice.publicKey)).toBeUndefined()
    expect(bobRing.open(ciphertext, nonce, carol.publicKey)).toBeUndefined()
    expect(bobRing.open(ciphertext, nonce.subarray(1), alice.publicKey)).toBeUndefined()
    expect(bobRing.open(ciphertext.subarray(0, BOX_OVERHEAD - 1), nonce, alice.publicKey)).toBeUndefined()
    expect(bobRing.open(ciphertext, nonce, alice.publicKey.subarray(1))).toBeUndefined()
  })

  it('stays correct past the size of its shared-key cache', () => {
    const peers = Array.from({ length: 520 }, () => new BoxKeyring(generateBoxKeyPair()))
    const sealed = peers.map((p) => aliceRing.seal(message, p.publicKey))
    for (const [i, p] of peers.entries()) {
      expect(p.open(sealed[i]!.ciphertext, sealed[i]!.nonce, alice.publicKey)).toEqual(message)
    }
    const first = peers[0]!.seal(message, alice.publicKey)
    expect(aliceRing.open(first.ciphertext, first.nonce, peers[0]!.publicKey)).toEqual(message)
  })

  it('refuses keys of the wrong length', () => {
    expect(() => aliceRing.seal(message, new Uint8Array(31))).toThrow(InvalidKeyError)
    expect(() => boxKeyPairFromSecret(new Uint8Array(16))).toThrow(InvalidKeyError)
  })

  it('derives the public key from the secret key', () => {
    expect(boxKeyPairFromSecret(alice.secretKey).publicKey).toEqual(alice.publicKey)
  })
})
