import { randomBytes } from 'node:crypto'
import {
  BOX_NONCE_LENGTH,
  BOX_PUBLIC_KEY_LENGTH,
  bytesEqual,
  ED25519_PUBLIC_KEY_LENGTH,
  InvalidKeyError,
  type NodeIdentity,
  openHybrid,
  peerIdFromEd25519PublicKey,
  SignatureContext,
  sealHybrid,
  sha256,
  toHex,
  verify,
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
} from '@pocnet/crypto'
import { type CborValue, decode, encode } from './cbor.ts'
import {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_ENVELOPE_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  ENVELOPE_VERSION,
  HYBRID_ENVELOPE_VERSION,
  KIND_RULE,
  MAX_CASE_ID_BYTES,
  MAX_KIND_BYTES,
  MESSAGE_ID_LENGTH,
} from './constants.ts'
import { CborDecodeError, EnvelopeTooLargeError, MessageFieldError } from './errors.ts'
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
import type { RejectReason } from './reasons.ts'
import { decodeSignedFrame, encodeSignedFrame } from './signed.ts'

export type PeerId = ReturnType<typeof peerIdFromEd25519PublicKey>

/**
 * The public keys of a node: its Ed25519 key (the PeerId), its X25519 box key and, when its
 * directory record advertises one, its X-Wing key for hybrid sealing.
 */
export interface PeerKeys {
  signingPublicKey: Uint8Array
  boxPublicKey: Uint8Array
  kemPublicKey?: Uint8Array
}

/**
 * What the receiver knows of a sender (from the roster and directory). `undefined`, or
 * `member: false`, means the sender is not a current member of the network. A `kemPublicKey`
 * means the sender's record advertises hybrid sealing: it seals hybrid to every node whose
 * record carries an X-Wing key, so a classical envelope from it is a downgrade (§5).
 */
export type SenderInfo = PeerKeys & { member?: boolean }
export type SenderResolver = (sender: PeerId) => SenderInfo | undefined | Promise<SenderInfo | undefined>

// a case id is free text from another system, but it ends up in ledger entries, index keys and
// logs, which take no control characters (the ledger refuses them: docs/ledger.md §2)
const CASE_ID_LIMITS = {
  minBytes: 0,
  maxBytes: MAX_CASE_ID_BYTES,
  rule: /^\P{Cc}*$/u,
  ruleText: 'must have no control characters',
}
const KIND_LIMITS = { minBytes: 1, maxBytes: MAX_KIND_BYTES, rule: KIND_RULE }

const HEADER_KEYS = ['v', 'net', 'from', 'to', 'id', 't', 'nonce', 'ct'] as const
/** A hybrid header also carries the X-Wing ciphertext. */
const HYBRID_HEADER_KEYS = [...HEADER_KEYS, 'kem'] as const
const INNER_KEYS = ['v', 'net', 'from', 'to', 'id', 't', 'case', 'kind', 'body'] as const
/** Fields the inner payload repeats from the outer header; they must be equal. */
const SHARED_KEYS = ['net', 'from', 'to', 'id', 't'] as const

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

/** The fields the inner payload repeats from the header. */
interface SharedFields {
  net: string
  from: Uint8Array
  to: Uint8Array
  id: Uint8Array
  t: number
}

interface Header extends SharedFields {
  v: typeof ENVELOPE_VERSION | typeof HYBRID_ENVELOPE_VERSION
  nonce: Uint8Array
  /** The X-Wing ciphertext of a hybrid envelope. */
  kem?: Uint8Array
  ct: Uint8Array
}

interface Inner extends SharedFields {
  case: string
  kind: string
  body: Uint8Array
}

function sharedFields(map: { [key: string]: CborValue }, field: string): SharedFields {
  return {
    net: textField(map, 'net', field, NETWORK_ID_LIMITS),
    from: bytesField(map, 'from', field, ED25519_PUBLIC_KEY_LENGTH),
    to: bytesField(map, 'to', field, ED25519_PUBLIC_KEY_LENGTH),
    id: bytesField(map, 'id', field, MESSAGE_ID_LENGTH),
    t: timeField(map, 't', field),
  }
}

/**
 * What the hybrid key schedule binds besides keys and ciphertexts: the header's version and the
 * fields the inner payload repeats, as deterministic CBOR.
 */
function hybridContext(fields: SharedFields & { v: number }): Uint8Array {
  return encode({
    v: fields.v,
    net: fields.net,
    from: fields.from,
    to: fields.to,
    id: fields.id,
    t: fields.t,
  })
}

/** Throws CborDecodeError or MessageFieldError. */
function decodeHeader(signed: Uint8Array, signer: Uint8Array, maxBytes: number): Header {
  const decoded = decode(signed, { maxBytes, maxDepth: 1 })
  const hybrid =
    decoded !== null &&
    typeof decoded === 'object' &&
    !Array.isArray(decoded) &&
    !(decoded instanceof Uint8Array)
      ? decoded.v === HYBRID_ENVELOPE_VERSION
      : false
  const map = mapWithKeys(decoded, 'envelope.header', hybrid ? HYBRID_HEADER_KEYS : HEADER_KEYS)
  if (!hybrid) versionField(map, 'envelope.header', ENVELOPE_VERSION)
  const header: Header = {
    v: hybrid ? HYBRID_ENVELOPE_VERSION : ENVELOPE_VERSION,
    ...sharedFields(map, 'envelope.header'),
    nonce: bytesField(map, 'nonce', 'envelope.header', BOX_NONCE_LENGTH),
    ...(hybrid ? { kem: bytesField(map, 'kem', 'envelope.header', XWING_CIPHERTEXT_LENGTH) } : {}),
    ct: bytesField(map, 'ct', 'envelope.header'),
  }
  if (!bytesEqual(header.from, signer))
    throw new MessageFieldError('envelope.header.from', 'must be the signer')
  return header
}

/** Throws CborDecodeError or MessageFieldError. */
function decodeInner(signed: Uint8Array, maxBytes: number, version: number): Inner {
  const map = mapWithKeys(decode(signed, { maxBytes, maxDepth: 1 }), 'envelope.inner', INNER_KEYS)
  versionField(map, 'envelope.inner', version)
  return {
    ...sharedFields(map, 'envelope.inner'),
    case: textField(map, 'case', 'envelope.inner', CASE_ID_LIMITS),
    kind: textField(map, 'kind', 'envelope.inner', KIND_LIMITS),
    body: bytesField(map, 'body', 'envelope.inner'),
  }
}

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
