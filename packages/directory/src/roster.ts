import type { PeerId } from '@libp2p/interface'
import {
  bytesEqual,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  ed25519PublicKeyOfPeerId,
  ML_DSA_44_PUBLIC_KEY_LENGTH,
  type NodeIdentity,
  SignatureContext,
  sha256,
  toHex,
  verify,
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
  MAX_ROSTER_CHAIN_BYTES,
  MAX_ROSTER_CHAIN_LENGTH,
  MAX_ROSTER_DOCUMENT_BYTES,
  MAX_ROSTER_MEMBERS,
  MAX_TEXT_LENGTH,
  ROSTER_FORMAT_VERSION,
} from './constants.ts'
import {
  RosterChangeError,
  RosterForkError,
  RosterFormatError,
  RosterGenesisMismatchError,
  RosterLinkError,
  RosterRevokedSignerError,
  RosterSignatureError,
  RosterThresholdError,
  RosterUnknownSignerError,
} from './errors.ts'
import { FieldReader } from './fields.ts'

export interface RosterMember {
  /** ISO 3166-1 alpha-2 code, the member's identity in the federation. */
  country: string
  /** Display name, e.g. "France — OCLCTIC". */
  name: string
  /** Raw Ed25519 public key: the node's PeerId and its signing key. */
  publicKey: Uint8Array
  /**
   * Raw ML-DSA-44 public key its witness cosigns with beside its Ed25519 key (c2sp.org/
   * tlog-cosignature, type 0x06), when it has one: here so an auditor has it from the roster alone.
   */
  mlDsaWitnessKey?: Uint8Array
}

export type RosterChange =
  | { op: 'admit'; member: RosterMember }
  | { op: 'revoke'; country: string }
  | { op: 'rotate'; country: string; publicKey: Uint8Array }
  | { op: 'threshold'; threshold: number }
  | { op: 'witness-key'; country: string; mlDsaWitnessKey: Uint8Array }

export interface GenesisBody {
  kind: 'genesis'
  network: string
  version: 0
  createdAt: number
  threshold: number
  members: RosterMember[]
}

export interface AmendmentBody {
  kind: 'amendment'
  network: string
  version: number
  /** SHA-256 of the previous version's body bytes. */
  prev: Uint8Array
  createdAt: number
  changes: RosterChange[]
}

export type RosterBody = GenesisBody | AmendmentBody

export interface RosterSignature {
  publicKey: Uint8Array
  signature: Uint8Array
}

/** A roster document as received: its exact bytes, the body bytes the signatures cover, and the signatures. */
export interface RosterDocument {
  bytes: Uint8Array
  bodyBytes: Uint8Array
  /** SHA-256 of `bodyBytes`: the version's identity, and the next version's `prev`. */
  hash: Uint8Array
  signatures: RosterSignature[]
}

export interface RetiredKey {
  country: string
  how: 'revoked' | 'rotated'
  atVersion: number
}

const formatFail = (field: string, rule: string) => new RosterFormatError(`roster field ${field}: ${rule}`)

// ---------------------------------------------------------------- encoding

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

// ---------------------------------------------------------------- state

/**
 * One verified roster version: who the members are and with which keys, the threshold, and
 * every key ever retired (so a revoked or rotated-away key is named as such, never reused).
 * Immutable: applying an amendment returns a new state.
 */
export class RosterState {
  readonly network: string
  readonly version: number
  readonly hash: Uint8Array
  readonly genesisHash: Uint8Array
  readonly threshold: number
  readonly createdAt: number
  readonly members: ReadonlyMap<string, RosterMember>
  readonly retired: ReadonlyMap<string, RetiredKey>
  readonly #byKey: Map<string, RosterMember>

  private constructor(init: {
    network: string
    version: number
    hash: Uint8Array
    genesisHash: Uint8Array
    threshold: number
    createdAt: number
    members: Map<string, RosterMember>
    retired: Map<string, RetiredKey>
  }) {
    this.network = init.network
    this.version = init.version
    this.hash = init.hash
    this.genesisHash = init.genesisHash
    this.threshold = init.threshold
    this.createdAt = init.createdAt
    this.members = init.members
    this.retired = init.retired
    this.#byKey = new Map([...init.members.values()].map((m) => [toHex(m.publicKey), m]))
  }

  /** The member holding this Ed25519 public key now, if any. */
  memberByKey(publicKey: Uint8Array): RosterMember | undefined {
    return this.#byKey.get(toHex(publicKey))
  }

  /** The member whose node has this PeerId now, if any. */
  memberByPeerId(peerId: PeerId): RosterMember | undefined {
    const key = ed25519PublicKeyOfPeerId(peerId)
    return key === undefined ? undefined : this.memberByKey(key)
  }

  /** Verifies a genesis document: every founder must sign, and nobody else. */
  static fromGenesis(doc: RosterDocument): RosterState {
    const body = decodeRosterBody(doc.bodyBytes)
    if (body.kind !== 'genesis')
      throw new RosterLinkError(0, 'the first document of a chain must be a genesis')
    const members = new Map<string, RosterMember>()
    const keys = new Set<string>()
    for (const m of body.members) {
      if (members.has(m.country)) throw new RosterChangeError(0, `founder ${m.country} is listed twice`)
      if (keys.has(toHex(m.publicKey)))
        throw new RosterChangeError(0, `founder ${m.country}'s key is already another founder's`)
      if (m.mlDsaWitnessKey !== undefined && keys.has(toHex(m.mlDsaWitnessKey)))
        throw new RosterChangeError(
          0,
          `founder ${m.country}'s ML-DSA-44 witness key is already another founder's`,
        )
      members.set(m.country, m)
      keys.add(toHex(m.publicKey))
      if (m.mlDsaWitnessKey !== undefined) keys.add(toHex(m.mlDsaWitnessKey))
    }
    if (body.threshold > members.size)
      throw new RosterChangeError(0, `threshold ${body.threshold} exceeds the ${members.size} founders`)
    const state = new RosterState({
      network: body.network,
      version: 0,
      hash: doc.hash,
      genesisHash: doc.hash,
      threshold: body.threshold,
      createdAt: body.createdAt,
      members,
      retired: new Map(),
    })
    const signed = state.#countSignatures(doc, 0)
    if (signed < members.size)
      throw new RosterThresholdError(0, members.size, signed, 'founders (all must sign)')
    return state
  }

  /**
   * Checks the signatures of `doc` against this version's member keys, then decodes it and
   * applies its changes. Signatures are checked over the exact body bytes before decoding.
   */
  apply(doc: RosterDocument): RosterState {
    const version = this.version + 1
    const signed = this.#countSignatures(doc, version)
    if (signed < this.threshold)
      throw new RosterThresholdError(version, this.threshold, signed, `members of version ${this.version}`)
    const body = decodeRosterBody(doc.bodyBytes)
    if (body.kind !== 'amendment')
      throw new RosterLinkError(version, 'a genesis cannot follow another version')
    if (body.network !== this.network)
      throw new RosterLinkError(version, `network ${body.network} is not ${this.network}`)
    if (body.version !== version)
      throw new RosterLinkError(version, `document claims version ${body.version}`)
    if (!bytesEqual(body.prev, this.hash))
      throw new RosterLinkError(
        version,
        `prev ${toHex(body.prev)} is not the hash of version ${this.version}`,
      )

    const members = new Map(this.members)
    const retired = new Map(this.retired)
    let threshold = this.threshold
    const keyInUse = (key: Uint8Array): string | undefined => {
      const hex = toHex(key)
      for (const m of members.values()) if (toHex(m.publicKey) === hex) return `is ${m.country}'s key`
      const r = retired.get(hex)
      return r === undefined ? undefined : `was ${r.country}'s key, ${r.how} at version ${r.atVersion}`
    }
    // each witness has its own ML-DSA-44 key: one held by another member is refused
    const witnessKeyHolder = (key: Uint8Array, except: string): string | undefined =>
      [...members.values()].find(
        (m) => m.country !== except && m.mlDsaWitnessKey !== undefined && bytesEqual(m.mlDsaWitnessKey, key),
      )?.country
    for (const change of body.changes) {
      switch (change.op) {
        case 'admit': {
          const { country } = change.member
          if (members.has(country)) throw new RosterChangeError(version, `admit ${country}: already a member`)
          const clash = keyInUse(change.member.publicKey)
          if (clash !== undefined) throw new RosterChangeError(version, `admit ${country}: the key ${clash}`)
          const pqHolder =
            change.member.mlDsaWitnessKey === undefined
              ? undefined
              : witnessKeyHolder(change.member.mlDsaWitnessKey, country)
          if (pqHolder !== undefined)
            throw new RosterChangeError(
              version,
              `admit ${country}: the ML-DSA-44 witness key is ${pqHolder}'s`,
            )
          members.set(country, change.member)
          break
        }
        case 'witness-key': {
          const m = members.get(change.country)
          if (m === undefined)
            throw new RosterChangeError(version, `witness-key ${change.country}: not a member`)
          const holder = witnessKeyHolder(change.mlDsaWitnessKey, change.country)
          if (holder !== undefined)
            throw new RosterChangeError(version, `witness-key ${change.country}: the key is ${holder}'s`)
          members.set(change.country, { ...m, mlDsaWitnessKey: change.mlDsaWitnessKey })
          break
        }
        case 'revoke': {
          const m = members.get(change.country)
          if (m === undefined) throw new RosterChangeError(version, `revoke ${change.country}: not a member`)
          members.delete(change.country)
          retired.set(toHex(m.publicKey), { country: m.country, how: 'revoked', atVersion: version })
          break
        }
        case 'rotate': {
          const m = members.get(change.country)
          if (m === undefined) throw new RosterChangeError(version, `rotate ${change.country}: not a member`)
          const clash = keyInUse(change.publicKey)
          if (clash !== undefined)
            throw new RosterChangeError(version, `rotate ${change.country}: the new key ${clash}`)
          members.set(change.country, { ...m, publicKey: change.publicKey })
          retired.set(toHex(m.publicKey), { country: m.country, how: 'rotated', atVersion: version })
          break
        }
        case 'threshold':
          threshold = change.threshold
          break
      }
    }
    if (members.size === 0) throw new RosterChangeError(version, 'the roster would have no members')
    if (threshold > members.size)
      throw new RosterChangeError(version, `threshold ${threshold} exceeds the ${members.size} members`)
    return new RosterState({
      network: this.network,
      version,
      hash: doc.hash,
      genesisHash: this.genesisHash,
      threshold,
      createdAt: body.createdAt,
      members,
      retired,
    })
  }

  /** Valid signatures of current members; any other signer makes the whole document invalid. */
  #countSignatures(doc: RosterDocument, version: number): number {
    let count = 0
    for (const { publicKey, signature } of doc.signatures) {
      const member = this.memberByKey(publicKey)
      if (member === undefined) {
        const r = this.retired.get(toHex(publicKey))
        if (r !== undefined) throw new RosterRevokedSignerError(version, r.country, r.how, r.atVersion)
        throw new RosterUnknownSignerError(version, toHex(publicKey))
      }
      if (!verify(SignatureContext.roster, doc.bodyBytes, signature, publicKey))
        throw new RosterSignatureError(version, member.country)
      count++
    }
    return count
  }
}

// ---------------------------------------------------------------- chains

export interface VerifiedRosterChain {
  documents: RosterDocument[]
  state: RosterState
}

export interface VerifyChainOptions {
  /** The genesis hash this node trusts; a chain from any other genesis is refused. */
  genesisHash?: Uint8Array
}

/** Verifies a whole chain from genesis and returns the state of its last version. */
export function verifyRosterChain(
  documents: Uint8Array[],
  options: VerifyChainOptions = {},
): VerifiedRosterChain {
  if (documents.length === 0) throw new RosterFormatError('a roster chain holds at least its genesis')
  if (documents.length > MAX_ROSTER_CHAIN_LENGTH)
    throw new RosterFormatError(`a roster chain holds at most ${MAX_ROSTER_CHAIN_LENGTH} versions`)
  const docs = documents.map(parseRosterDocument)
  const genesis = docs[0]!
  if (options.genesisHash !== undefined && !bytesEqual(genesis.hash, options.genesisHash))
    throw new RosterGenesisMismatchError(toHex(options.genesisHash), toHex(genesis.hash))
  let state = RosterState.fromGenesis(genesis)
  for (const doc of docs.slice(1)) {
    try {
      state = state.apply(doc)
    } catch (err) {
      // a second document for the version just applied is a fork, not a broken link
      const claimed = claimedVersion(doc)
      if (claimed === state.version && !bytesEqual(doc.hash, state.hash))
        throw new RosterForkError(state.version, toHex(state.hash), toHex(doc.hash))
      throw err
    }
  }
  return { documents: docs, state }
}

/** The version a document says it is, or undefined when its body does not decode. */
function claimedVersion(doc: RosterDocument): number | undefined {
  try {
    return decodeRosterBody(doc.bodyBytes).version
  } catch {
    return undefined
  }
}

/** CBOR array of document byte strings: the form a chain takes in a file and on the wire. */
export function encodeRosterChain(documents: Uint8Array[]): Uint8Array {
  return encode(documents)
}

export function decodeRosterChain(bytes: Uint8Array): Uint8Array[] {
  const value = decode(bytes, { maxBytes: MAX_ROSTER_CHAIN_BYTES, maxDepth: 2 })
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ROSTER_CHAIN_LENGTH)
    throw new RosterFormatError(`roster chain: must be an array of 1-${MAX_ROSTER_CHAIN_LENGTH} documents`)
  return value.map((d, i) => {
    if (!(d instanceof Uint8Array)) throw new RosterFormatError(`roster chain[${i}]: must be a byte string`)
    return d
  })
}
