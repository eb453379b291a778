import {
  bytesEqual,
  ED25519_PUBLIC_KEY_LENGTH,
  type NodeIdentity,
  SignatureContext,
  verify,
} from '@pocnet/crypto'
import { type CborValue, decode, encode } from './cbor.ts'
import { MAX_RECEIPT_BYTES, RECEIPT_VERSION } from './constants.ts'
import { CborDecodeError, MessageFieldError } from './errors.ts'
import {
  bytesField,
  checkText,
  checkTime,
  mapWithKeys,
  NETWORK_ID_LIMITS,
  textField,
  timeField,
  versionField,
} from './fields.ts'
import { isRejectReason, type RejectReason } from './reasons.ts'
import { decodeSignedFrame, encodeSignedFrame } from './signed.ts'

export const ENVELOPE_HASH_LENGTH = 32

/** "Stored durably", or refused with a reason code. Not "read by a person". */
export type ReceiptOutcome = { status: 'accepted' } | { status: 'rejected'; reason: RejectReason }

export type ReceiptInput = ReceiptOutcome & {
  /** The node that received the envelope and signs the receipt. */
  receiver: NodeIdentity
  networkId: string
  /** SHA-256 of the exact envelope bytes received. */
  envelopeHash: Uint8Array
  /** When the envelope was received, ms since the Unix epoch (UTC). */
  receivedAt: number
}

export type Receipt = ReceiptOutcome & {
  networkId: string
  receiverPublicKey: Uint8Array
  envelopeHash: Uint8Array
  receivedAt: number
}

const RECEIPT_KEYS = ['v', 'net', 'by', 'env', 't', 'status'] as const

/** Signs a receipt; throws MessageFieldError for an invalid input field. */
export function createReceipt(input: ReceiptInput): Uint8Array {
  checkText(input.networkId, 'receipt.networkId', NETWORK_ID_LIMITS)
  checkTime(input.receivedAt, 'receipt.receivedAt')
  if (input.envelopeHash.length !== ENVELOPE_HASH_LENGTH) {
    throw new MessageFieldError('receipt.envelopeHash', `must be ${ENVELOPE_HASH_LENGTH} bytes`)
  }
  const signer = input.receiver.signer
  const fields: { [key: string]: CborValue } = {
    v: RECEIPT_VERSION,
    net: input.networkId,
    by: signer.publicKey,
    env: input.envelopeHash,
    t: input.receivedAt,
    status: input.status,
  }
  if (input.status === 'rejected') {
    if (!isRejectReason(input.reason))
      throw new MessageFieldError('receipt.reason', 'must be a known reason code')
    fields.reason = input.reason
  }
  const signed = encode(fields)
  return encodeSignedFrame({
    signer: signer.publicKey,
    signed,
    signature: signer.sign(SignatureContext.receipt, signed),
  })
}

export interface VerifyReceiptOptions {
  /** The node the envelope was sent to: only its signature is accepted. */
  receiverPublicKey: Uint8Array
  networkId: string
  /** When given, the receipt must name this envelope. */
  envelopeHash?: Uint8Array
}

/** The step of `verifyReceipt` that refused a receipt, in the order they run. */
export type ReceiptCheck = 'size' | 'frame' | 'signer' | 'signature' | 'fields' | 'network' | 'envelope'

export type ReceiptResult =
  | { ok: true; receipt: Receipt }
  | {
      ok: false
      reason: Extract<RejectReason, 'too-large' | 'malformed' | 'bad-signature' | 'not-for-me'>
      check: ReceiptCheck
      message: string
    }

/**
 * Verifies a receipt: size, frame, signer is the expected receiver, signature over the received
 * bytes, then the fields. Hostile input never throws: it yields `{ ok: false, reason }`.
 */
export function verifyReceipt(bytes: Uint8Array, options: VerifyReceiptOptions): ReceiptResult {
  if (bytes.length > MAX_RECEIPT_BYTES) {
    return {
      ok: false,
      reason: 'too-large',
      check: 'size',
      message: `receipt is ${bytes.length} bytes; the limit is ${MAX_RECEIPT_BYTES}`,
    }
  }
  let frame: ReturnType<typeof decodeSignedFrame>
  try {
    frame = decodeSignedFrame(bytes, 'receipt', MAX_RECEIPT_BYTES)
  } catch (err) {
    if (err instanceof CborDecodeError || err instanceof MessageFieldError) {
      return { ok: false, reason: 'malformed', check: 'frame', message: err.message }
    }
    throw err
  }
  if (!bytesEqual(frame.signer, options.receiverPublicKey)) {
    return {
      ok: false,
      reason: 'bad-signature',
      check: 'signer',
      message: 'receipt is signed by another key',
    }
  }
  if (!verify(SignatureContext.receipt, frame.signed, frame.signature, frame.signer)) {
    return {
      ok: false,
      reason: 'bad-signature',
      check: 'signature',
      message: 'the receipt signature does not verify',
    }
  }

  let receipt: Receipt
  try {
    const map = mapWithKeys(
      decode(frame.signed, { maxBytes: MAX_RECEIPT_BYTES, maxDepth: 1 }),
      'receipt',
      RECEIPT_KEYS,
      ['reason'],
    )
    versionField(map, 'receipt', RECEIPT_VERSION)
    const by = bytesField(map, 'by', 'receipt', ED25519_PUBLIC_KEY_LENGTH)
    if (!bytesEqual(by, frame.signer)) throw new MessageFieldError('receipt.by', 'must be the signer')
    const common = {
      networkId: textField(map, 'net', 'receipt', NETWORK_ID_LIMITS),
      receiverPublicKey: by,
      envelopeHash: bytesField(map, 'env', 'receipt', ENVELOPE_HASH_LENGTH),
      receivedAt: timeField(map, 't', 'receipt'),
    }
    if (map.status === 'accepted') {
      if ('reason' in map) throw new MessageFieldError('receipt.reason', 'must be absent when accepted')
      receipt = { ...common, status: 'accepted' }
    } else if (map.status === 'rejected') {
      if (!isRejectReason(map.reason))
        throw new MessageFieldError('receipt.reason', 'must be a known reason code')
      receipt = { ...common, status: 'rejected', reason: map.reason }
    } else {
      throw new MessageFieldError('receipt.status', 'must be "accepted" or "rejected"')
    }
  } catch (err) {
    if (err instanceof CborDecodeError || err instanceof MessageFieldError) {
      return { ok: false, reason: 'malformed', check: 'fields', message: err.message }
    }
    throw err
  }

  if (receipt.networkId !== options.networkId) {
    return { ok: false, reason: 'not-for-me', check: 'network', message: 'receipt is for another network' }
  }
  if (options.envelopeHash !== undefined && !bytesEqual(receipt.envelopeHash, options.envelopeHash)) {
    return { ok: false, reason: 'not-for-me', check: 'envelope', message: 'receipt names another envelope' }
  }
  return { ok: true, receipt }
}
