import { randomBytes } from 'node:crypto'
import {
  privateKeyFromProtobuf,
  privateKeyFromRaw,
  privateKeyToProtobuf,
  publicKeyFromRaw,
} from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { type BoxKeyPair, BoxKeyring, boxKeyPairFromSecret, generateBoxKeyPair } from './box.ts'
import { InvalidKeyError } from './errors.ts'
import { ED25519_SEED_LENGTH, Signer } from './sign.ts'
import { XWING_SEED_LENGTH, XWingKeyPair } from './xwing.ts'

/** The secrets a node keeps: everything else is derived from these 64 (or 96) bytes. */
export interface IdentitySecrets {
  /** Ed25519 seed: the libp2p PeerId key and the signing key. */
  signingSeed: Uint8Array
  /** X25519 secret key for NaCl box. */
  boxSecretKey: Uint8Array
  /** X-Wing seed for hybrid sealing; absent from keys made before it (key file version 1). */
  kemSeed?: Uint8Array
}

/**
 * A node's identity: one Ed25519 key (PeerId and signatures), one X25519 key (box) and, in keys
 * made since hybrid sealing, one X-Wing key pair. All three rotate together.
 */
export class NodeIdentity {
  readonly secrets: IdentitySecrets
  readonly signer: Signer
  readonly box: BoxKeyring
  /** The X-Wing key pair hybrid envelopes are sealed to, if this key has one. */
  readonly kem: XWingKeyPair | undefined
  readonly privateKey: Ed25519PrivateKey
  readonly peerId: PeerId

  constructor(secrets: IdentitySecrets) {
    if (secrets.signingSeed.length !== ED25519_SEED_LENGTH)
      throw new InvalidKeyError('an Ed25519 seed is 32 bytes')
    this.secrets = secrets
    this.signer = new Signer(secrets.signingSeed)
    const boxPair: BoxKeyPair = boxKeyPairFromSecret(secrets.boxSecretKey)
    this.box = new BoxKeyring(boxPair)
    this.kem = secrets.kemSeed === undefined ? undefined : new XWingKeyPair(secrets.kemSeed)
    // libp2p's raw Ed25519 private key is seed || public key
    const raw = new Uint8Array(64)
    raw.set(secrets.signingSeed, 0)
    raw.set(this.signer.publicKey, 32)
    this.privateKey = privateKeyFromRaw(raw) as Ed25519PrivateKey
    this.peerId = peerIdFromPrivateKey(this.privateKey)
  }

  static generate(): NodeIdentity {
    return new NodeIdentity({
      signingSeed: new Uint8Array(randomBytes(ED25519_SEED_LENGTH)),
      boxSecretKey: generateBoxKeyPair().secretKey,
      kemSeed: new Uint8Array(randomBytes(XWING_SEED_LENGTH)),
    })
  }

  get signingPublicKey(): Uint8Array {
    return this.signer.publicKey
  }

  get boxPublicKey(): Uint8Array {
    return this.box.publicKey
  }

  /** The X-Wing public key (1216 bytes), or undefined for a key made before hybrid sealing. */
  get kemPublicKey(): Uint8Array | undefined {
    return this.kem?.publicKey
  }

  /** The libp2p protobuf encoding of the Ed25519 private key (as libp2p key files use). */
  signingKeyProtobuf(): Uint8Array {
    return privateKeyToProtobuf(this.privateKey)
  }

  /** Rebuilds an identity from a libp2p protobuf Ed25519 private key, an X25519 secret and an X-Wing seed. */
  static fromProtobuf(signingKey: Uint8Array, boxSecretKey: Uint8Array, kemSeed?: Uint8Array): NodeIdentity {
    let key: ReturnType<typeof privateKeyFromProtobuf>
    try {
      key = privateKeyFromProtobuf(signingKey)
    } catch (err) {
      throw new InvalidKeyError(`not a libp2p protobuf private key: ${(err as Error).message}`)
    }
    if (key.type !== 'Ed25519') throw new InvalidKeyError(`pocnet node keys are Ed25519, not ${key.type}`)
    return new NodeIdentity({
      signingSeed: key.raw.subarray(0, 32),
      boxSecretKey,
      ...(kemSeed === undefined ? {} : { kemSeed }),
    })
  }
}

/** The PeerId of a raw 32-byte Ed25519 public key. */
export function peerIdFromEd25519PublicKey(publicKey: Uint8Array): PeerId {
  if (publicKey.length !== 32) throw new InvalidKeyError('an Ed25519 public key is 32 bytes')
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey))
}

/** The raw Ed25519 public key inside a PeerId, or undefined when it holds none (not Ed25519). */
export function ed25519PublicKeyOfPeerId(peerId: PeerId): Uint8Array | undefined {
  return peerId.type === 'Ed25519' ? peerId.publicKey.raw : undefined
}
