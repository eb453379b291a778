import {
  BOX_NONCE_LENGTH,
  bytesEqual,
  ED25519_PUBLIC_KEY_LENGTH,
  XWING_CIPHERTEXT_LENGTH,
} from '@pocnet/crypto'
import { type CborValue, decode, encode } from '../cbor.ts'
import {
  ENVELOPE_VERSION,
  HYBRID_ENVELOPE_VERSION,
  KIND_RULE,
  MAX_CASE_ID_BYTES,
  MAX_KIND_BYTES,
  MESSAGE_ID_LENGTH,
} from '../constants.ts'
import { MessageFieldError } from '../errors.ts'
import { bytesField, mapWithKeys, NETWORK_ID_LIMITS, textField, timeField, versionField } from '../fields.ts'

// a case id is free text from another system, but it ends up in ledger entries, index keys and
// logs, which take no control characters (the ledger refuses them: docs/ledger.md §2)
export const CASE_ID_LIMITS = {
  minBytes: 0,
  maxBytes: MAX_CASE_ID_BYTES,
  rule: /^\P{Cc}*$/u,
  ruleText: 'must have no control characters',
}
export const KIND_LIMITS = { minBytes: 1, maxBytes: MAX_KIND_BYTES, rule: KIND_RULE }

const HEADER_KEYS = ['v', 'net', 'from', 'to', 'id', 't', 'nonce', 'ct'] as const
/** A hybrid header also carries the X-Wing ciphertext. */
const HYBRID_HEADER_KEYS = [...HEADER_KEYS, 'kem'] as const
const INNER_KEYS = ['v', 'net', 'from', 'to', 'id', 't', 'case', 'kind', 'body'] as const
/** Fields the inner payload repeats from the outer header; they must be equal. */
export const SHARED_KEYS = ['net', 'from', 'to', 'id', 't'] as const

/** The fields the inner payload repeats from the header. */
export interface SharedFields {
  net: string
  from: Uint8Array
  to: Uint8Array
  id: Uint8Array
  t: number
}

export interface Header extends SharedFields {
  v: typeof ENVELOPE_VERSION | typeof HYBRID_ENVELOPE_VERSION
  nonce: Uint8Array
  /** The X-Wing ciphertext of a hybrid envelope. */
  kem?: Uint8Array
  ct: Uint8Array
}

export interface Inner extends SharedFields {
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
export function hybridContext(fields: SharedFields & { v: number }): Uint8Array {
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
export function decodeHeader(signed: Uint8Array, signer: Uint8Array, maxBytes: number): Header {
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
export function decodeInner(signed: Uint8Array, maxBytes: number, version: number): Inner {
  const map = mapWithKeys(decode(signed, { maxBytes, maxDepth: 1 }), 'envelope.inner', INNER_KEYS)
  versionField(map, 'envelope.inner', version)
  return {
    ...sharedFields(map, 'envelope.inner'),
    case: textField(map, 'case', 'envelope.inner', CASE_ID_LIMITS),
    kind: textField(map, 'kind', 'envelope.inner', KIND_LIMITS),
    body: bytesField(map, 'body', 'envelope.inner'),
  }
}
