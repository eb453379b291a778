import { describe, expect, it } from 'vitest'
import {
  ed25519PublicKeyOfPeerId,
  InvalidKeyError,
  NodeIdentity,
  peerIdFromEd25519PublicKey,
  SignatureContext,
  verify,
} from '../src/index.ts'

describe('NodeIdentity', () => {
  const identity = NodeIdentity.generate()

  it('uses one Ed25519 key as its PeerId and its signing key', () => {
    expect(identity.peerId.type).toBe('Ed25519')
    expect(ed25519PublicKeyOfPeerId(identity.peerId)).toEqual(identity.signingPublicKey)
    expect(peerIdFromEd25519PublicKey(identity.signingPublicKey).equals(identity.peerId)).toBe(true)
    const message = new Uint8Array([9])
    const sig = identity.signer.sign(SignatureContext.checkpoint, message)
    expect(verify(SignatureContext.checkpoint, message, sig, identity.signingPublicKey)).toBe(true)
    expect(identity.privateKey.publicKey.raw).toEqual(identity.signingPublicKey)
  })

  it('round trips through the libp2p protobuf private key', () => {
    const back = NodeIdentity.fromProtobuf(identity.signingKeyProtobuf(), identity.secrets.boxSecretKey)
    expect(back.peerId.equals(identity.peerId)).toBe(true)
    expect(back.boxPublicKey).toEqual(identity.boxPublicKey)
  })

  it('generates distinct identities', () => {
    const other = NodeIdentity.generate()
    expect(other.peerId.equals(identity.peerId)).toBe(false)
    expect(other.boxPublicKey).not.toEqual(identity.boxPublicKey)
  })

  it('refuses malformed keys with InvalidKeyError', () => {
    expect(() => NodeIdentity.fromProtobuf(new Uint8Array([1, 2, 3]), identity.secrets.boxSecretKey)).toThrow(
      InvalidKeyError,
    )
    expect(
      () =>
        new NodeIdentity({ signingSeed: new Uint8Array(31), boxSecretKey: identity.secrets.boxSecretKey }),
    ).toThrow(InvalidKeyError)
    expect(() => peerIdFromEd25519PublicKey(new Uint8Array(33))).toThrow(InvalidKeyError)
  })
})
