import { randomBytes } from 'node:crypto'
import { type NodeIdentity, SignatureContext, sha256 } from '@pocnet/crypto'
import { type CborValue, decode, encode, type PeerKeys } from '@pocnet/protocol'

/**
 * Hostile envelopes and frames, built by hand from docs/protocol.md §5 with public APIs only,
 * so each one breaks exactly one rule the receiver checks.
 */

export interface Crafted {
  bytes: Uint8Array
  messageId: Uint8Array
  /** SHA-256 of `bytes`: what the receiver's receipt must name. */
  envelopeHash: Uint8Array
}

/** The public keys an envelope is sealed to. */
export function keysOf(identity: NodeIdentity): PeerKeys {
  return { signingPublicKey: identity.signingPublicKey, boxPublicKey: identity.boxPublicKey }
}

/** Unsigned LEB128, the length prefix of a delivery frame. */
export function varint(value: number): Uint8Array {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return new Uint8Array(out)
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** `payload` behind a length prefix announcing `declaredLength` bytes (by default, its own length). */
export function lengthPrefixed(payload: Uint8Array, declaredLength = payload.length): Uint8Array {
  return concat(varint(declaredLength), payload)
}

/** Bytes that never end a varint: every byte has its continuation bit set, so no frame length ever forms. */
export function endlessLengthPrefix(length: number): Uint8Array {
  const bytes = new Uint8Array(randomBytes(length))
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! | 0x80
  return bytes
}

/** Not CBOR at all: what a confused HTTP client would send. */
export const HTTP_GARBAGE = new TextEncoder().encode(
  'GET /pocnet HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n',
)

type Fields = { [key: string]: CborValue }

export interface HandSealInput {
  sender: NodeIdentity
  recipient: PeerKeys
  networkId: string
  /** 16 bytes; fresh random by default. */
  messageId?: Uint8Array
  createdAt?: number
  caseId?: string
  kind?: string
  body?: Uint8Array
  /** Replace fields of the inner payload only (signed as replaced). */
  inner?: Fields
  /** Replace fields of the outer header only (signed as replaced). */
  header?: Fields
}

/**
 * Sign → encrypt → sign by hand (docs/protocol.md §5.4). Every signature is genuine, so
 * whatever `inner` or `header` overrides is the only thing wrong with the result.
 */
export function sealByHand(input: HandSealInput): Crafted {
  const signer = input.sender.signer
  const messageId = input.messageId ?? new Uint8Array(randomBytes(16))
  const shared: Fields = {
    net: input.networkId,
    from: signer.publicKey,
    to: input.recipient.signingPublicKey,
    id: messageId,
    t: input.createdAt ?? Date.now(),
  }
  const inner = encode({
    v: 1,
    ...shared,
    case: input.caseId ?? '',
    kind: input.kind ?? 'test',
    body: input.body ?? new Uint8Array(randomBytes(32)),
    ...input.inner,
  })
  const plaintext = encode([signer.publicKey, inner, signer.sign(SignatureContext.envelopeInner, inner)])
  const { nonce, ciphertext } = input.sender.box.seal(plaintext, input.recipient.boxPublicKey)
  const header = encode({ v: 1, ...shared, nonce, ct: ciphertext, ...input.header })
  const bytes = encode([signer.publicKey, header, signer.sign(SignatureContext.envelopeOuter, header)])
  return { bytes, messageId, envelopeHash: sha256(bytes) }
}

/** The same envelope with one bit of its outer signature flipped: header and ciphertext untouched. */
export function withBadOuterSignature(envelope: Uint8Array): Uint8Array {
  const frame = decode(envelope)
  if (!Array.isArray(frame) || frame.length !== 3) throw new Error('not a signed frame')
  const [signer, signed, signature] = frame
  if (!(signature instanceof Uint8Array)) throw new Error('not a signed frame')
  const flipped = Uint8Array.from(signature)
  flipped[17] = flipped[17]! ^ 0x01
  return encode([signer!, signed!, flipped])
}
