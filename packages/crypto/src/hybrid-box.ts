import { createHash, randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import { BOX_NONCE_LENGTH, BOX_OVERHEAD, BOX_PUBLIC_KEY_LENGTH, type BoxKeyring } from './box.ts'
import { InvalidKeyError } from './errors.ts'
import {
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  type XWingKeyPair,
  XWingPublicKey,
} from './xwing.ts'

/*
 * The hybrid box: NaCl box's authenticated X25519 key agreement and an X-Wing encapsulation to the
 * recipient, their two secrets combined into one XSalsa20-Poly1305 key. The box secret is today's
 * (static sender key × static recipient key: it authenticates the sender as NaCl box does); the
 * X-Wing secret adds ML-KEM-768, so the content stays secret if X25519 falls. The key schedule
 * binds both secrets, the KEM ciphertext, every public key involved and the caller's context
 * (the envelope header), so a key from one envelope opens no other.
 */

const KEY_SCHEDULE_LABEL = new TextEncoder().encode('pocnet hybrid box v1')

export interface HybridRecipient {
  boxPublicKey: Uint8Array
  /** The recipient's X-Wing public key, from its signed directory record. */
  kemPublicKey: Uint8Array
}

export interface HybridSealed {
  nonce: Uint8Array
  /** The X-Wing ciphertext (1120 bytes). */
  kemCiphertext: Uint8Array
  ciphertext: Uint8Array
}

/**
 * SHA3-256 over the label, both secrets, the KEM ciphertext, the recipient's X-Wing key, sender
 * and recipient box keys, then the context. Every field but the context is fixed-length and the
 * context comes last, so no two different inputs concatenate to the same bytes.
 */
export function hybridContentKey(input: {
  kemSecret: Uint8Array
  boxSecret: Uint8Array
  kemCiphertext: Uint8Array
  kemPublicKey: Uint8Array
  senderBoxPublicKey: Uint8Array
  recipientBoxPublicKey: Uint8Array
  context: Uint8Array
}): Uint8Array {
  const digest = createHash('sha3-256')
    .update(KEY_SCHEDULE_LABEL)
    .update(input.kemSecret)
    .update(input.boxSecret)
    .update(input.kemCiphertext)
    .update(input.kemPublicKey)
    .update(input.senderBoxPublicKey)
    .update(input.recipientBoxPublicKey)
    .update(input.context)
    .digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

const PARSED_KEYS_MAX = 512
/** Recipients' X-Wing keys, parsed once each (ML-KEM checks a key as it imports it), bounded. */
const parsedKeys = new Map<string, XWingPublicKey>()

function parsedKey(kemPublicKey: Uint8Array): XWingPublicKey {
  const id = Buffer.from(kemPublicKey.buffer, kemPublicKey.byteOffset, kemPublicKey.byteLength).toString(
    'base64',
  )
  let key = parsedKeys.get(id)
  if (key === undefined) {
    key = new XWingPublicKey(kemPublicKey.slice())
    if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.delete(parsedKeys.keys().next().value as string)
    parsedKeys.set(id, key)
  }
  return key
}

/** Encrypts to `recipient` under a fresh nonce and a fresh X-Wing encapsulation; throws InvalidKeyError for a bad key. */
export function sealHybrid(
  box: BoxKeyring,
  plaintext: Uint8Array,
  recipient: HybridRecipient,
  context: Uint8Array,
): HybridSealed {
  if (recipient.boxPublicKey.length !== BOX_PUBLIC_KEY_LENGTH)
    throw new InvalidKeyError('an X25519 public key is 32 bytes')
  if (recipient.kemPublicKey.length !== XWING_PUBLIC_KEY_LENGTH)
    throw new InvalidKeyError(`an X-Wing public key is ${XWING_PUBLIC_KEY_LENGTH} bytes`)
  const { sharedSecret, ciphertext: kemCiphertext } = parsedKey(recipient.kemPublicKey).encapsulate()
  const key = hybridContentKey({
    kemSecret: sharedSecret,
    boxSecret: box.sharedKey(recipient.boxPublicKey),
    kemCiphertext,
    kemPublicKey: recipient.kemPublicKey,
    senderBoxPublicKey: box.publicKey,
    recipientBoxPublicKey: recipient.boxPublicKey,
    context,
  })
  const nonce = new Uint8Array(randomBytes(BOX_NONCE_LENGTH))
  const ciphertext = nacl.secretbox(plaintext, nonce, key)
  key.fill(0)
  sharedSecret.fill(0)
  return { nonce, kemCiphertext, ciphertext }
}

/**
 * The plaintext, or undefined when the envelope was not sealed to this box key and X-Wing key
 * pair by `senderBoxPublicKey` under `context` (or was changed on the way).
 */
export function openHybrid(
  box: BoxKeyring,
  kem: XWingKeyPair,
  sealed: HybridSealed,
  senderBoxPublicKey: Uint8Array,
  context: Uint8Array,
): Uint8Array | undefined {
  if (sealed.nonce.length !== BOX_NONCE_LENGTH || senderBoxPublicKey.length !== BOX_PUBLIC_KEY_LENGTH)
    return undefined
  if (sealed.kemCiphertext.length !== XWING_CIPHERTEXT_LENGTH || sealed.ciphertext.length < BOX_OVERHEAD)
    return undefined
  const kemSecret = kem.decapsulate(sealed.kemCiphertext)
  if (kemSecret === undefined) return undefined
  const key = hybridContentKey({
    kemSecret,
    boxSecret: box.sharedKey(senderBoxPublicKey),
    kemCiphertext: sealed.kemCiphertext,
    kemPublicKey: kem.publicKey,
    senderBoxPublicKey,
    recipientBoxPublicKey: box.publicKey,
    context,
  })
  const plaintext = nacl.secretbox.open(sealed.ciphertext, sealed.nonce, key)
  key.fill(0)
  kemSecret.fill(0)
  return plaintext ?? undefined
}
