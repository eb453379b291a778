import {
  bytesEqual,
  type NodeIdentity,
  openHybrid,
  peerIdFromEd25519PublicKey,
  SignatureContext,
  sha256,
  toHex,
  verify,
} from '@pocnet/crypto'
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_ENVELOPE_BYTES, DEFAULT_MAX_FUTURE_SKEW_MS } from '../constants.ts'
import { CborDecodeError, MessageFieldError } from '../errors.ts'
import type { RejectReason } from '../reasons.ts'
import { decodeSignedFrame } from '../signed.ts'
import type { PeerId, SenderResolver } from './keys.ts'
import { decodeHeader, decodeInner, type Header, hybridContext, type Inner, SHARED_KEYS } from './wire.ts'

export interface OpenOptions {
  /** The receiving node. */
  identity: NodeIdentity
  networkId: string
  resolveSender: SenderResolver
  /** The receiver's clock, ms since the Unix epoch; defaults to now. */
  now?: number
  maxBytes?: number
  /** How far behind (`maxAgeMs`) or ahead (`maxFutureMs`) of `now` the creation time may be. */
  skew?: { maxAgeMs: number; maxFutureMs: number }
  /**
   * From which creation time a classical envelope from a sender whose record advertises hybrid
   * sealing is refused as a downgrade: when this node's record began advertising its X-Wing key,
   * plus the time senders may still seal to the record before it (the caller knows how long they
   * cache records). `null`: never, as this node's record advertises no X-Wing key. Defaults to
   * always (0) when `identity` has an X-Wing key, else never.
   */
  downgradeRefusedFrom?: number | null
}

/** The step of `open` that refused an envelope, in the order they run. */
export type OpenCheck =
  | 'size'
  | 'frame'
  | 'sender'
  | 'outer-signature'
  | 'header'
  | 'network'
  | 'recipient'
  | 'downgrade'
  | 'decrypt'
  | 'inner-frame'
  | 'inner-signature'
  | 'inner-payload'
  | 'inner-fields'
  | 'time'

/** The reasons `open` itself gives; "rate-limited" and "replay" are the caller's to decide. */
export type EnvelopeRejectReason = Exclude<RejectReason, 'rate-limited' | 'replay' | 'try-later'>

export interface OpenedEnvelope {
  ok: true
  /** SHA-256 of the exact envelope bytes, for the receipt and the ledger. */
  envelopeHash: Uint8Array
  /** The caller detects replays by this id (and the receipt window `maxAgeMs`). */
  messageId: Uint8Array
  messageIdHex: string
  networkId: string
  sender: PeerId
  senderPublicKey: Uint8Array
  /** How the envelope was sealed: X-Wing and NaCl box combined (version 2), or NaCl box alone. */
  sealing: 'hybrid' | 'classical'
  caseId: string
  kind: string
  createdAt: number
  payload: Uint8Array
}

export interface RejectedEnvelope {
  ok: false
  reason: EnvelopeRejectReason
  check: OpenCheck
  /** For logs: names the failed rule, never message contents. */
  message: string
  envelopeHash: Uint8Array
  /** Present once the outer signature has been verified, so the id is the sender's own. */
  messageId?: Uint8Array
}

export type OpenResult = OpenedEnvelope | RejectedEnvelope

/** Turns a decoding failure into a "malformed" rejection; anything else is a bug and propagates. */
function malformed(
  err: unknown,
  check: OpenCheck,
  envelopeHash: Uint8Array,
  messageId?: Uint8Array,
): RejectedEnvelope {
  if (err instanceof CborDecodeError || err instanceof MessageFieldError) {
    return { ok: false, reason: 'malformed', check, message: err.message, envelopeHash, messageId }
  }
  throw err
}

/**
 * Opens an envelope addressed to `options.identity`. Checks, in order: size, outer frame,
 * sender membership, outer signature over the received header bytes, header fields, network,
 * recipient, downgrade (a classical envelope where hybrid was due), decryption, inner signature over the received inner bytes, inner fields equal
 * outer fields, time window. Hostile input never throws: it yields `{ ok: false, reason }`.
 * Only an exception from `resolveSender` propagates.
 */
export async function open(bytes: Uint8Array, options: OpenOptions): Promise<OpenResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES
  const envelopeHash = sha256(bytes)
  const reject = (reason: EnvelopeRejectReason, check: OpenCheck, message: string, messageId?: Uint8Array) =>
    ({ ok: false, reason, check, message, envelopeHash, messageId }) satisfies RejectedEnvelope

  if (bytes.length > maxBytes) {
    return reject('too-large', 'size', `envelope is ${bytes.length} bytes; the limit is ${maxBytes}`)
  }

  let frame: ReturnType<typeof decodeSignedFrame>
  try {
    frame = decodeSignedFrame(bytes, 'envelope', maxBytes)
  } catch (err) {
    return malformed(err, 'frame', envelopeHash)
  }

  let sender: PeerId
  try {
    sender = peerIdFromEd25519PublicKey(frame.signer)
  } catch {
    return reject('malformed', 'frame', 'envelope[0] is not an Ed25519 public key')
  }
  const senderInfo = await options.resolveSender(sender)
  if (senderInfo === undefined || senderInfo.member === false) {
    return reject('not-a-member', 'sender', `sender ${sender.toString()} is not a current member`)
  }
  if (!bytesEqual(senderInfo.signingPublicKey, frame.signer)) {
    return reject('not-a-member', 'sender', `sender key is not the current key of ${sender.toString()}`)
  }

  if (!verify(SignatureContext.envelopeOuter, frame.signed, frame.signature, frame.signer)) {
    return reject('bad-signature', 'outer-signature', 'the outer signature does not verify')
  }

  let header: Header
  try {
    header = decodeHeader(frame.signed, frame.signer, maxBytes)
  } catch (err) {
    return malformed(err, 'header', envelopeHash)
  }
  const messageId = header.id

  if (header.net !== options.networkId) {
    return reject('not-for-me', 'network', 'envelope is for another network', messageId)
  }
  if (!bytesEqual(header.to, options.identity.signingPublicKey)) {
    return reject('not-for-me', 'recipient', 'envelope is addressed to another node', messageId)
  }

  const refusedFrom =
    options.downgradeRefusedFrom === undefined
      ? options.identity.kem === undefined
        ? null
        : 0
      : options.downgradeRefusedFrom
  if (
    header.kem === undefined &&
    refusedFrom !== null &&
    header.t >= refusedFrom &&
    senderInfo.kemPublicKey !== undefined
  ) {
    return reject(
      'downgrade',
      'downgrade',
      'classical envelope from a sender that seals hybrid to this node’s advertised X-Wing key',
      messageId,
    )
  }

  let plaintext: Uint8Array | undefined
  if (header.kem === undefined) {
    plaintext = options.identity.box.open(header.ct, header.nonce, senderInfo.boxPublicKey)
    if (plaintext === undefined) {
      return reject('not-for-me', 'decrypt', 'ciphertext does not open with this node’s box key', messageId)
    }
  } else {
    const kem = options.identity.kem
    if (kem === undefined) {
      return reject('not-for-me', 'decrypt', 'hybrid envelope, but this node has no X-Wing key', messageId)
    }
    const sealed = { nonce: header.nonce, kemCiphertext: header.kem, ciphertext: header.ct }
    plaintext = openHybrid(options.identity.box, kem, sealed, senderInfo.boxPublicKey, hybridContext(header))
    if (plaintext === undefined) {
      return reject(
        'not-for-me',
        'decrypt',
        'hybrid ciphertext does not open with this node’s box and X-Wing keys',
        messageId,
      )
    }
  }

  let innerFrame: ReturnType<typeof decodeSignedFrame>
  try {
    innerFrame = decodeSignedFrame(plaintext, 'envelope.inner', plaintext.length)
    if (!bytesEqual(innerFrame.signer, frame.signer)) {
      throw new MessageFieldError('envelope.inner[0]', 'must be the outer signer')
    }
  } catch (err) {
    return malformed(err, 'inner-frame', envelopeHash, messageId)
  }
  if (!verify(SignatureContext.envelopeInner, innerFrame.signed, innerFrame.signature, innerFrame.signer)) {
    return reject('bad-signature', 'inner-signature', 'the inner signature does not verify', messageId)
  }

  let inner: Inner
  try {
    inner = decodeInner(innerFrame.signed, maxBytes, header.v)
  } catch (err) {
    return malformed(err, 'inner-payload', envelopeHash, messageId)
  }
  for (const key of SHARED_KEYS) {
    const a = header[key]
    const b = inner[key]
    if (a instanceof Uint8Array && b instanceof Uint8Array ? !bytesEqual(a, b) : a !== b) {
      return reject('malformed', 'inner-fields', `envelope.inner.${key} differs from the header`, messageId)
    }
  }

  const createdAt = header.t
  const now = options.now ?? Date.now()
  const maxAgeMs = options.skew?.maxAgeMs ?? DEFAULT_MAX_AGE_MS
  const maxFutureMs = options.skew?.maxFutureMs ?? DEFAULT_MAX_FUTURE_SKEW_MS
  if (createdAt < now - maxAgeMs) {
    return reject(
      'too-old',
      'time',
      `created ${now - createdAt} ms ago; the limit is ${maxAgeMs} ms`,
      messageId,
    )
  }
  if (createdAt > now + maxFutureMs) {
    return reject(
      'too-new',
      'time',
      `created ${createdAt - now} ms ahead; the limit is ${maxFutureMs} ms`,
      messageId,
    )
  }

  return {
    ok: true,
    envelopeHash,
    messageId,
    messageIdHex: toHex(messageId),
    networkId: header.net,
    sender,
    senderPublicKey: frame.signer,
    sealing: header.kem === undefined ? 'classical' : 'hybrid',
    caseId: inner.case,
    kind: inner.kind,
    createdAt,
    payload: inner.body,
  }
}
