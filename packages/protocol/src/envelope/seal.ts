import { randomBytes } from 'node:crypto'
import {
  BOX_PUBLIC_KEY_LENGTH,
  ED25519_PUBLIC_KEY_LENGTH,
  InvalidKeyError,
  type NodeIdentity,
  SignatureContext,
  sealHybrid,
  sha256,
  XWING_PUBLIC_KEY_LENGTH,
} from '@pocnet/crypto'
import { encode } from '../cbor.ts'
import {
  DEFAULT_MAX_ENVELOPE_BYTES,
  ENVELOPE_VERSION,
  HYBRID_ENVELOPE_VERSION,
  MESSAGE_ID_LENGTH,
} from '../constants.ts'
import { EnvelopeTooLargeError, MessageFieldError } from '../errors.ts'
import { checkText, checkTime, NETWORK_ID_LIMITS } from '../fields.ts'
import { encodeSignedFrame } from '../signed.ts'
import type { PeerKeys } from './keys.ts'
import { CASE_ID_LIMITS, hybridContext, KIND_LIMITS } from './wire.ts'

export interface SealInput {
  sender: NodeIdentity
  /** With a `kemPublicKey` the envelope is sealed hybrid (version 2), else classical (version 1). */
  recipient: PeerKeys
  networkId: string
  /** The case this message belongs to; the empty string for a message outside any case. */
  caseId: string
  kind: string
  payload: Uint8Array
  /** Creation time, ms since the Unix epoch (UTC); defaults to now. */
  createdAt?: number
  maxBytes?: number
}

export interface SealedEnvelope {
  bytes: Uint8Array
  messageId: Uint8Array
  /** SHA-256 of `bytes`: what the receipt for this envelope names. */
  envelopeHash: Uint8Array
}

/**
 * Sign → encrypt → sign (docs/protocol.md §5). Throws MessageFieldError for an invalid
 * input field (a recipient X-Wing key ML-KEM refuses included) and EnvelopeTooLargeError when the result would exceed `maxBytes`.
 */
export function seal(input: SealInput): SealedEnvelope {
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES
  const createdAt = input.createdAt ?? Date.now()
  checkText(input.networkId, 'seal.networkId', NETWORK_ID_LIMITS)
  checkText(input.caseId, 'seal.caseId', CASE_ID_LIMITS)
  checkText(input.kind, 'seal.kind', KIND_LIMITS)
  checkTime(createdAt, 'seal.createdAt')
  if (input.recipient.signingPublicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new MessageFieldError('seal.recipient.signingPublicKey', 'must be 32 bytes')
  }
  if (input.recipient.boxPublicKey.length !== BOX_PUBLIC_KEY_LENGTH) {
    throw new MessageFieldError('seal.recipient.boxPublicKey', 'must be 32 bytes')
  }
  const kemPublicKey = input.recipient.kemPublicKey
  if (kemPublicKey !== undefined && kemPublicKey.length !== XWING_PUBLIC_KEY_LENGTH) {
    throw new MessageFieldError('seal.recipient.kemPublicKey', `must be ${XWING_PUBLIC_KEY_LENGTH} bytes`)
  }
  // The payload alone already over the limit: refuse before signing and encrypting it.
  if (input.payload.length > maxBytes) throw new EnvelopeTooLargeError(input.payload.length, maxBytes)

  const signer = input.sender.signer
  const messageId = new Uint8Array(randomBytes(MESSAGE_ID_LENGTH))
  const shared = {
    net: input.networkId,
    from: signer.publicKey,
    to: input.recipient.signingPublicKey,
    id: messageId,
    t: createdAt,
  }
  const v = kemPublicKey === undefined ? ENVELOPE_VERSION : HYBRID_ENVELOPE_VERSION
  const inner = encode({
    v,
    ...shared,
    case: input.caseId,
    kind: input.kind,
    body: input.payload,
  })
  const plaintext = encodeSignedFrame({
    signer: signer.publicKey,
    signed: inner,
    signature: signer.sign(SignatureContext.envelopeInner, inner),
  })
  let header: Uint8Array
  if (kemPublicKey === undefined) {
    const { nonce, ciphertext } = input.sender.box.seal(plaintext, input.recipient.boxPublicKey)
    header = encode({ v, ...shared, nonce, ct: ciphertext })
  } else {
    const recipient = { boxPublicKey: input.recipient.boxPublicKey, kemPublicKey }
    let sealed: ReturnType<typeof sealHybrid>
    try {
      sealed = sealHybrid(input.sender.box, plaintext, recipient, hybridContext({ v, ...shared }))
    } catch (err) {
      if (err instanceof InvalidKeyError)
        throw new MessageFieldError('seal.recipient.kemPublicKey', err.message)
      throw err
    }
    header = encode({ v, ...shared, nonce: sealed.nonce, kem: sealed.kemCiphertext, ct: sealed.ciphertext })
  }
  const bytes = encodeSignedFrame({
    signer: signer.publicKey,
    signed: header,
    signature: signer.sign(SignatureContext.envelopeOuter, header),
  })
  if (bytes.length > maxBytes) throw new EnvelopeTooLargeError(bytes.length, maxBytes)
  return { bytes, messageId, envelopeHash: sha256(bytes) }
}
