import fc from 'fast-check'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import {
  ed25519PublicKey,
  fromHex,
  InvalidContextError,
  InvalidKeyError,
  InvalidNoteTextError,
  SignatureContext,
  Signer,
  signedBytes,
  toHex,
  verify,
  verifyNoteText,
} from '../src/index.ts'

const contexts = Object.values(SignatureContext)

describe('domain-separated Ed25519 signatures', () => {
  it('node:crypto and tweetnacl make byte-identical signatures and verify each other', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(...contexts),
        fc.uint8Array({ maxLength: 1024 }),
        (seed, context, message) => {
          const naclKeys = nacl.sign.keyPair.fromSeed(seed)
          const signer = new Signer(seed)
          expect(signer.publicKey).toEqual(naclKeys.publicKey)

          const bytes = signedBytes(context, message)
          const byNode = signer.sign(context, message)
          const byNacl = nacl.sign.detached(bytes, naclKeys.secretKey)
          expect(toHex(byNode)).toBe(toHex(byNacl))

          expect(verify(context, message, byNacl, naclKeys.publicKey)).toBe(true)
          expect(nacl.sign.detached.verify(bytes, byNode, signer.publicKey)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('derives the RFC 8032 §7.1 test 1 public key from its seed', () => {
    const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    expect(toHex(ed25519PublicKey(seed))).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    )
  })

  it('signs "pocnet/" || context || 0x00 || message', () => {
    const bytes = signedBytes('receipt/v1', new Uint8Array([1, 2]))
    expect(toHex(bytes)).toBe(`${toHex(new TextEncoder().encode('pocnet/receipt/v1'))}000102`)
  })

  it('a signature under one context never verifies under another', () => {
    const signer = new Signer(new Uint8Array(32).fill(7))
    const message = new TextEncoder().encode('same bytes')
    for (const a of contexts) {
      const sig = signer.sign(a, message)
      for (const b of contexts) expect(verify(b, message, sig, signer.publicKey)).toBe(a === b)
    }
  })

  it('the context strings are distinct and follow the context rule', () => {
    expect(new Set(contexts).size).toBe(contexts.length)
    for (const c of contexts) expect(() => signedBytes(c, new Uint8Array())).not.toThrow()
  })

  it('refuses malformed contexts as a programming error', () => {
    for (const bad of ['', 'Upper/v1', 'with space', 'nul\u0000', '-leading', 'x'.repeat(64)]) {
      expect(() => signedBytes(bad, new Uint8Array())).toThrow(InvalidContextError)
    }
  })

  it('verify returns false, never throws, for tampered or malformed input', () => {
    const signer = new Signer(new Uint8Array(32).fill(1))
    const message = new Uint8Array([1, 2, 3])
    const sig = signer.sign(SignatureContext.receipt, message)
    const pub = signer.publicKey
    expect(verify(SignatureContext.receipt, message, sig, pub)).toBe(true)
    for (let bit = 0; bit < 64 * 8; bit++) {
      const flipped = sig.slice()
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      expect(verify(SignatureContext.receipt, message, flipped, pub)).toBe(false)
    }
    expect(verify(SignatureContext.receipt, new Uint8Array([1, 2, 4]), sig, pub)).toBe(false)
    expect(verify(SignatureContext.receipt, message, sig.subarray(0, 63), pub)).toBe(false)
    expect(verify(SignatureContext.receipt, message, sig, pub.subarray(0, 31))).toBe(false)
    expect(verify(SignatureContext.receipt, message, sig, new Uint8Array(32).fill(0xff))).toBe(false)
    expect(verify(SignatureContext.receipt, message, new Uint8Array(64), new Uint8Array(32))).toBe(false)
  })

  it('rejects the malleated signature (R, S + L): S must be below the group order', () => {
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    const signer = new Signer(new Uint8Array(32).fill(3))
    let checked = 0
    for (let k = 0; k < 64 && checked < 3; k++) {
      const message = new Uint8Array([k])
      const sig = signer.sign(SignatureContext.receipt, message)
      let s = 0n
      for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!)
      if (s + L >= 1n << 256n) continue
      const malleated = sig.slice()
      let x = s + L
      for (let i = 0; i < 32; i++) {
        malleated[32 + i] = Number(x & 0xffn)
        x >>= 8n
      }
      expect(verify(SignatureContext.receipt, message, malleated, signer.publicKey)).toBe(false)
      checked++
    }
    expect(checked).toBe(3)
  })

  it('refuses seeds that are not 32 bytes', () => {
    expect(() => new Signer(new Uint8Array(31))).toThrow(InvalidKeyError)
    expect(() => ed25519PublicKey(new Uint8Array(33))).toThrow(InvalidKeyError)
  })
})

describe('signed-note text signatures', () => {
  const signer = new Signer(new Uint8Array(32).fill(3))
  const text = new TextEncoder().encode('example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')

  it('are plain Ed25519 over the text, byte-identical to tweetnacl', () => {
    const sig = signer.signNoteText(text)
    const naclKeys = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(3))
    expect(sig).toEqual(nacl.sign.detached(text, naclKeys.secretKey))
    expect(verifyNoteText(text, sig, signer.publicKey)).toBe(true)
    expect(verifyNoteText(text.subarray(1), sig, signer.publicKey)).toBe(false)
    expect(verifyNoteText(text, sig.subarray(1), signer.publicKey)).toBe(false)
  })

  it('never verify as a domain-separated signature, nor the other way round', () => {
    const noteSig = signer.signNoteText(text)
    expect(verify(SignatureContext.checkpoint, text, noteSig, signer.publicKey)).toBe(false)
    const contextSig = signer.sign(SignatureContext.checkpoint, text)
    expect(verifyNoteText(text, contextSig, signer.publicKey)).toBe(false)
  })

  it('refuse bytes a signed note cannot hold, such as any signedBytes', () => {
    const bad = [
      new Uint8Array(),
      text.subarray(0, -1),
      signedBytes(SignatureContext.receipt, new TextEncoder().encode('x\n')),
      new Uint8Array([0x61, 0x09, 0x0a]),
      new Uint8Array([0x61, 0xff, 0x0a]),
    ]
    for (const bytes of bad) expect(() => signer.signNoteText(bytes)).toThrow(InvalidNoteTextError)
  })
})
