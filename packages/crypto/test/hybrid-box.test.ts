import { createHash } from 'node:crypto'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import { hybridContentKey, NodeIdentity, openHybrid, sealHybrid } from '../src/index.ts'

const message = new TextEncoder().encode('preserve the logs of 203.0.113.7, 2026-11-28T10:00:00Z')
const context = new TextEncoder().encode('header fields')

describe('hybrid box', () => {
  const alice = NodeIdentity.generate()
  const bob = NodeIdentity.generate()
  const toBob = { boxPublicKey: bob.boxPublicKey, kemPublicKey: bob.kemPublicKey! }

  it('round trip from one identity to another', () => {
    const sealed = sealHybrid(alice.box, message, toBob, context)
    expect(openHybrid(bob.box, bob.kem!, sealed, alice.boxPublicKey, context)).toEqual(message)
  })

  it('the content key is the documented SHA3-256 key schedule (re-derived here with tweetnacl)', () => {
    const sealed = sealHybrid(alice.box, message, toBob, context)
    const kemSecret = bob.kem!.decapsulate(sealed.kemCiphertext)!
    // NaCl box's precomputed key, from tweetnacl directly rather than the keyring
    const boxSecret = nacl.box.before(bob.boxPublicKey, alice.secrets.boxSecretKey)
    const key = createHash('sha3-256')
      .update('pocnet hybrid box v1')
      .update(kemSecret)
      .update(boxSecret)
      .update(sealed.kemCiphertext)
      .update(bob.kemPublicKey!)
      .update(alice.boxPublicKey)
      .update(bob.boxPublicKey)
      .update(context)
      .digest()
    expect(nacl.secretbox.open(sealed.ciphertext, sealed.nonce, new Uint8Array(key))).toEqual(message)
    expect(
      hybridContentKey({
        kemSecret,
        boxSecret,
        kemCiphertext: sealed.kemCiphertext,
        kemPublicKey: bob.kemPublicKey!,
        senderBoxPublicKey: alice.boxPublicKey,
        recipientBoxPublicKey: bob.boxPublicKey,
        context,
      }),
    ).toEqual(new Uint8Array(key))
  })

  it('does not open under another context, sender, KEM ciphertext or recipient', () => {
    const sealed = sealHybrid(alice.box, message, toBob, context)
    const carol = NodeIdentity.generate()
    expect(openHybrid(bob.box, bob.kem!, sealed, alice.boxPublicKey, new Uint8Array(1))).toBeUndefined()
    expect(openHybrid(bob.box, bob.kem!, sealed, carol.boxPublicKey, context)).toBeUndefined()
    const otherKem = sealHybrid(alice.box, message, toBob, context).kemCiphertext
    expect(
      openHybrid(bob.box, bob.kem!, { ...sealed, kemCiphertext: otherKem }, alice.boxPublicKey, context),
    ).toBe(undefined)
    expect(openHybrid(carol.box, carol.kem!, sealed, alice.boxPublicKey, context)).toBeUndefined()
  })

  it('a box key and an X-Wing key of two different recipients open nothing (mismatched keys)', () => {
    const carol = NodeIdentity.generate()
    const mixed = sealHybrid(
      alice.box,
      message,
      { boxPublicKey: bob.boxPublicKey, kemPublicKey: carol.kemPublicKey! },
      context,
    )
    expect(openHybrid(bob.box, bob.kem!, mixed, alice.boxPublicKey, context)).toBeUndefined()
    expect(openHybrid(carol.box, carol.kem!, mixed, alice.boxPublicKey, context)).toBeUndefined()
  })

  it('truncated KEM ciphertext or ciphertext opens nothing', () => {
    const sealed = sealHybrid(alice.box, message, toBob, context)
    const short = { ...sealed, kemCiphertext: sealed.kemCiphertext.subarray(0, 1119) }
    expect(openHybrid(bob.box, bob.kem!, short, alice.boxPublicKey, context)).toBeUndefined()
    for (const length of [0, 15, sealed.ciphertext.length - 1]) {
      const cut = { ...sealed, ciphertext: sealed.ciphertext.subarray(0, length) }
      expect(openHybrid(bob.box, bob.kem!, cut, alice.boxPublicKey, context)).toBeUndefined()
    }
  })
})
