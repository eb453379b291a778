import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  ML_DSA_44_PUBLIC_KEY_LENGTH,
  type NodeIdentity,
  SignatureContext,
  sha256,
  toHex,
} from '@pocnet/crypto'
import {
  type CborValue,
  COUNTRY_CODE_RULE,
  decode,
  encode,
  isCountryCode,
  MAX_NETWORK_ID_LENGTH,
  NETWORK_ID_PATTERN,
  NETWORK_ID_RULE,
} from '@pocnet/protocol'
import {
  MAX_ROSTER_CHAIN_LENGTH,
  MAX_ROSTER_DOCUMENT_BYTES,
  MAX_ROSTER_MEMBERS,
  MAX_TEXT_LENGTH,
  ROSTER_FORMAT_VERSION,
} from '../constants.ts'
import { RosterFormatError } from '../errors.ts'
import { FieldReader } from '../fields.ts'
import type { RosterBody, RosterChange, RosterDocument, RosterMember, RosterSignature } from './types.ts'

const formatFail = (field: string, rule: string) => new RosterFormatError(`roster field ${field}: ${rule}`)

function memberToCbor(m: RosterMember): CborValue {
  return {
    country: m.country,
    name: m.name,
    key: m.publicKey,
    ...(m.mlDsaWitnessKey !== undefined && { mldsa: m.mlDsaWitnessKey }),
  }
}

function changeToCbor(c: RosterChange): CborValue {
  switch (c.op) {
    case 'admit':
      return { op: 'admit', ...(memberToCbor(c.member) as { [key: string]: CborValue }) }
    case 'revoke':
      return { op: 'revoke', country: c.country }
    case 'rotate':
      return { op: 'rotate', country: c.country, key: c.publicKey }
    case 'threshold':
      return { op: 'threshold', threshold: c.threshold }
    case 'witness-key':
      return { op: 'witness-key', country: c.country, mldsa: c.mlDsaWitnessKey }
  }
}

/** Deterministic CBOR of a roster body: the bytes every signature covers. */
export function encodeRosterBody(body: RosterBody): Uint8Array {
  const bytes =
    body.kind === 'genesis'
      ? encode({
          v: ROSTER_FORMAT_VERSION,
          kind: 'genesis',
          network: body.network,
          version: 0,
          createdAt: body.createdAt,
          threshold: body.threshold,
          members: body.members.map(memberToCbor),
        })
      : encode({
          v: ROSTER_FORMAT_VERSION,
          kind: 'amendment',
          network: body.network,
          version: body.version,
          prev: body.prev,
          createdAt: body.createdAt,
          changes: body.changes.map(changeToCbor),
        })
  // decoding our own bytes applies every field rule once, at the source
  decodeRosterBody(bytes)
  return bytes
}

/** A member's fields; `extra` names the other fields its map holds (an admit's `op`). */
function readMember(value: CborValue, path: string, extra: string[] = []): RosterMember {
  const r = new FieldReader(value, path, formatFail, [...extra, 'country', 'name', 'key'], ['mldsa'])
  return {
    country: r.text('country', 2, isCountryCode, `must be ${COUNTRY_CODE_RULE}`),
    name: r.text('name', MAX_TEXT_LENGTH),
    publicKey: r.bytes('key', ED25519_PUBLIC_KEY_LENGTH),
    ...(r.has('mldsa') && { mlDsaWitnessKey: r.bytes('mldsa', ML_DSA_44_PUBLIC_KEY_LENGTH) }),
  }
}

function readChange(value: CborValue, path: string): RosterChange {
  const op = new FieldReader(
    value,
    path,
    formatFail,
    ['op'],
    ['country', 'name', 'key', 'threshold', 'mldsa'],
  ).raw('op')
  const cc = (r: FieldReader) => r.text('country', 2, isCountryCode, `must be ${COUNTRY_CODE_RULE}`)
  switch (op) {
    case 'admit':
      return { op, member: readMember(value, path, ['op']) }
    case 'revoke':
      return { op, country: cc(new FieldReader(value, path, formatFail, ['op', 'country'])) }
    case 'rotate': {
      const r = new FieldReader(value, path, formatFail, ['op', 'country', 'key'])
      return { op, country: cc(r), publicKey: r.bytes('key', ED25519_PUBLIC_KEY_LENGTH) }
    }
    case 'threshold': {
      const r = new FieldReader(value, path, formatFail, ['op', 'threshold'])
      return { op, threshold: r.integer('threshold', 1, MAX_ROSTER_MEMBERS) }
    }
    case 'witness-key': {
      const r = new FieldReader(value, path, formatFail, ['op', 'country', 'mldsa'])
      return { op, country: cc(r), mlDsaWitnessKey: r.bytes('mldsa', ML_DSA_44_PUBLIC_KEY_LENGTH) }
    }
    default:
      throw formatFail(`${path}.op`, 'must be one of admit, revoke, rotate, threshold, witness-key')
  }
}

/** Strictly decodes roster body bytes (shape only: chain rules are checked by `RosterState`). */
export function decodeRosterBody(bytes: Uint8Array): RosterBody {
  const value = decode(bytes, { maxBytes: MAX_ROSTER_DOCUMENT_BYTES })
  const head = new FieldReader(
    value,
    'body',
    formatFail,
    ['v', 'kind'],
    ['network', 'version', 'prev', 'createdAt', 'threshold', 'members', 'changes'],
  )
  if (head.raw('v') !== ROSTER_FORMAT_VERSION)
    throw formatFail('body.v', `must be ${ROSTER_FORMAT_VERSION} (unknown roster format version)`)
  const network = (r: FieldReader) =>
    r.text('network', MAX_NETWORK_ID_LENGTH, NETWORK_ID_PATTERN, `must be ${NETWORK_ID_RULE}`)
  if (head.raw('kind') === 'genesis') {
    const r = new FieldReader(value, 'body', formatFail, [
      'v',
      'kind',
      'network',
      'version',
      'createdAt',
      'threshold',
      'members',
    ])
    const members = r
      .array('members', MAX_ROSTER_MEMBERS, 1)
      .map((m, i) => readMember(m, `body.members[${i}]`))
    return {
      kind: 'genesis',
      network: network(r),
      version: r.integer('version', 0, 0) as 0,
      createdAt: r.integer('createdAt', 0),
      threshold: r.integer('threshold', 1, MAX_ROSTER_MEMBERS),
      members,
    }
  }
  if (head.raw('kind') === 'amendment') {
    const r = new FieldReader(value, 'body', formatFail, [
      'v',
      'kind',
      'network',
      'version',
      'prev',
      'createdAt',
      'changes',
    ])
    return {
      kind: 'amendment',
      network: network(r),
      version: r.integer('version', 1, MAX_ROSTER_CHAIN_LENGTH),
      prev: r.bytes('prev', 32),
      createdAt: r.integer('createdAt', 0),
      changes: r.array('changes', MAX_ROSTER_MEMBERS, 1).map((c, i) => readChange(c, `body.changes[${i}]`)),
    }
  }
  throw formatFail('body.kind', 'must be "genesis" or "amendment"')
}

/** Wraps body bytes and their signatures into a roster document (signatures sorted by key). */
export function encodeRosterDocument(bodyBytes: Uint8Array, signatures: RosterSignature[]): Uint8Array {
  const sorted = [...signatures].sort((a, b) => Buffer.compare(a.publicKey, b.publicKey))
  return encode({
    body: bodyBytes,
    signatures: sorted.map((s) => ({ key: s.publicKey, sig: s.signature })),
  })
}

/** Parses the outer layer of a roster document; the body stays as bytes until its signatures are checked. */
export function parseRosterDocument(bytes: Uint8Array): RosterDocument {
  const value = decode(bytes, { maxBytes: MAX_ROSTER_DOCUMENT_BYTES })
  const r = new FieldReader(value, 'document', formatFail, ['body', 'signatures'])
  const bodyBytes = r.raw('body')
  if (!(bodyBytes instanceof Uint8Array) || bodyBytes.length === 0)
    throw formatFail('document.body', 'must be a non-empty byte string')
  const seen = new Set<string>()
  const signatures = r.array('signatures', MAX_ROSTER_MEMBERS, 1).map((s, i) => {
    const sr = new FieldReader(s, `document.signatures[${i}]`, formatFail, ['key', 'sig'])
    const sig = {
      publicKey: sr.bytes('key', ED25519_PUBLIC_KEY_LENGTH),
      signature: sr.bytes('sig', ED25519_SIGNATURE_LENGTH),
    }
    const id = toHex(sig.publicKey)
    if (seen.has(id)) throw formatFail(`document.signatures[${i}]`, `key ${id} signs twice`)
    seen.add(id)
    return sig
  })
  return { bytes, bodyBytes, hash: sha256(bodyBytes), signatures }
}

/** One member's signature over a roster body. */
export function signRosterBody(identity: NodeIdentity, bodyBytes: Uint8Array): RosterSignature {
  return {
    publicKey: identity.signingPublicKey,
    signature: identity.signer.sign(SignatureContext.roster, bodyBytes),
  }
}
