import {
  byteSize,
  bytesEqual,
  FileGrewError,
  type FileLimit,
  FileTooLargeError,
  fromHex,
  ML_DSA_44_PUBLIC_KEY_LENGTH,
  type NodeIdentity,
  peerIdFromEd25519PublicKey,
  readFileWithin,
  SignatureContext,
  sha256,
  toHex,
  verify,
  writeFileAtomic,
} from '@pocnet/crypto'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol'
import {
  MAX_CEREMONY_FILE_BYTES,
  MAX_ROSTER_CHAIN_BYTES,
  MAX_ROSTER_CHAIN_LENGTH,
  MAX_ROSTER_DOCUMENT_BYTES,
} from './constants.ts'
import { RosterFormatError } from './errors.ts'
import {
  decodeRosterBody,
  decodeRosterChain,
  encodeRosterBody,
  encodeRosterChain,
  encodeRosterDocument,
  type RosterBody,
  type RosterChange,
  type RosterMember,
  type RosterSignature,
  type VerifiedRosterChain,
  verifyRosterChain,
} from './roster/index.ts'

/*
 * The offline ceremony works on small files an operator can read, copy and e-mail:
 *   member descriptor  JSON  what a country contributes: code, name, public key (and its PeerId)
 *   proposal           JSON  the exact roster body bytes (hex) that everyone signs
 *   signature          JSON  one member's signature over those bytes
 *   roster chain       CBOR  the signed documents, genesis first: what nodes load and exchange
 * Signatures always cover the body bytes of the proposal, never a re-encoding.
 */

const MEMBER_FORMAT = 'pocnet-member/1'
const PROPOSAL_FORMAT = 'pocnet-roster-proposal/1'
const SIGNATURE_FORMAT = 'pocnet-roster-signature/1'

/** A ceremony file's size cap, the same for all three: `what` names the file in the error. */
function ceremonyFile(what: string): FileLimit {
  const why = `a ceremony file holds at most one roster body of ${byteSize(MAX_ROSTER_DOCUMENT_BYTES)}, in hex, and a few short fields`
  return { what, maxBytes: MAX_CEREMONY_FILE_BYTES, why }
}

const CEREMONY_FILES = {
  [MEMBER_FORMAT]: ceremonyFile('member descriptor'),
  [PROPOSAL_FORMAT]: ceremonyFile('roster proposal'),
  [SIGNATURE_FORMAT]: ceremonyFile('roster signature'),
}

const ROSTER_CHAIN_FILE: FileLimit = {
  what: 'roster chain',
  maxBytes: MAX_ROSTER_CHAIN_BYTES,
  why: `a roster chain holds at most ${MAX_ROSTER_CHAIN_LENGTH} versions in ${byteSize(MAX_ROSTER_CHAIN_BYTES)}, as nodes exchange it`,
}

/** The bytes of a file, refused unread (a RosterFormatError) when larger than any valid one. */
async function readWithin(path: string, limit: FileLimit): Promise<Buffer> {
  try {
    return await readFileWithin(path, limit)
  } catch (err) {
    if (err instanceof FileTooLargeError || err instanceof FileGrewError)
      throw new RosterFormatError(err.message)
    throw err
  }
}

async function readJson(path: string, format: keyof typeof CEREMONY_FILES): Promise<Record<string, unknown>> {
  const bytes = await readWithin(path, CEREMONY_FILES[format])
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new RosterFormatError(`${path}: not JSON (${(err as Error).message})`)
  }
  if (value === null || typeof value !== 'object' || (value as { format?: unknown }).format !== format)
    throw new RosterFormatError(`${path}: field format must be "${format}"`)
  return value as Record<string, unknown>
}

function hexField(path: string, obj: Record<string, unknown>, field: string, length?: number): Uint8Array {
  const v = obj[field]
  let bytes: Uint8Array
  try {
    bytes = fromHex(typeof v === 'string' ? v : '?')
  } catch {
    throw new RosterFormatError(`${path}: field ${field} must be a hex string`)
  }
  if (length !== undefined && bytes.length !== length)
    throw new RosterFormatError(`${path}: field ${field} must be ${length} bytes`)
  return bytes
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`), 0o644)
}

/** Step 1 (each founder or candidate): write the descriptor of this node's membership. */
export async function exportMemberDescriptor(
  path: string,
  member: { identity: NodeIdentity; country: string; name: string; mlDsaWitnessKey?: Uint8Array },
): Promise<RosterMember> {
  if (!isCountryCode(member.country))
    throw new RosterFormatError(`member country must be ${COUNTRY_CODE_RULE}`)
  const descriptor: RosterMember = {
    country: member.country,
    name: member.name,
    publicKey: member.identity.signingPublicKey,
    ...(member.mlDsaWitnessKey !== undefined && { mlDsaWitnessKey: member.mlDsaWitnessKey }),
  }
  await writeJson(path, {
    format: MEMBER_FORMAT,
    country: descriptor.country,
    name: descriptor.name,
    publicKey: toHex(descriptor.publicKey),
    peerId: member.identity.peerId.toString(),
    ...(member.mlDsaWitnessKey !== undefined && { mlDsaWitnessKey: toHex(member.mlDsaWitnessKey) }),
  })
  return descriptor
}

export async function readMemberDescriptor(path: string): Promise<RosterMember> {
  const obj = await readJson(path, MEMBER_FORMAT)
  const publicKey = hexField(path, obj, 'publicKey', 32)
  if (!isCountryCode(obj.country))
    throw new RosterFormatError(`${path}: field country must be ${COUNTRY_CODE_RULE}`)
  if (typeof obj.name !== 'string' || obj.name.length === 0)
    throw new RosterFormatError(`${path}: field name must be a non-empty string`)
  if (obj.peerId !== peerIdFromEd25519PublicKey(publicKey).toString())
    throw new RosterFormatError(`${path}: field peerId does not derive from publicKey`)
  // optional: the ML-DSA-44 key its witness cosigns with (a member written before has none)
  const mlDsaWitnessKey =
    obj.mlDsaWitnessKey === undefined
      ? undefined
      : hexField(path, obj, 'mlDsaWitnessKey', ML_DSA_44_PUBLIC_KEY_LENGTH)
  return {
    country: obj.country,
    name: obj.name,
    publicKey,
    ...(mlDsaWitnessKey !== undefined && { mlDsaWitnessKey }),
  }
}

export interface RosterProposal {
  body: RosterBody
  bodyBytes: Uint8Array
  /** SHA-256 of the body bytes; signatures name it so a signature file cannot be paired with the wrong proposal. */
  bodyHash: Uint8Array
}

async function writeProposal(path: string, body: RosterBody): Promise<RosterProposal> {
  const bodyBytes = encodeRosterBody(body)
  const bodyHash = sha256(bodyBytes)
  await writeJson(path, {
    format: PROPOSAL_FORMAT,
    kind: body.kind,
    network: body.network,
    version: body.version,
    bodySha256: toHex(bodyHash),
    body: toHex(bodyBytes),
  })
  return { body, bodyBytes, bodyHash }
}

/** Step 2 (one coordinator): the genesis proposal from the founders' descriptors. */
export async function proposeGenesis(
  path: string,
  init: { network: string; threshold: number; members: RosterMember[]; createdAt?: number },
): Promise<RosterProposal> {
  return writeProposal(path, {
    kind: 'genesis',
    network: init.network,
    version: 0,
    createdAt: init.createdAt ?? Date.now(),
    threshold: init.threshold,
    members: init.members,
  })
}

/** Step 2 for a change: an amendment proposal on top of the current chain. */
export async function proposeAmendment(
  path: string,
  init: { chain: Uint8Array[]; changes: RosterChange[]; createdAt?: number },
): Promise<RosterProposal> {
  const { state } = verifyRosterChain(init.chain)
  return writeProposal(path, {
    kind: 'amendment',
    network: state.network,
    version: state.version + 1,
    prev: state.hash,
    createdAt: init.createdAt ?? Date.now(),
    changes: init.changes,
  })
}

/** Reads a proposal (for review before signing): the body is decoded from its bytes, nothing else is trusted. */
export async function readProposal(path: string): Promise<RosterProposal> {
  const obj = await readJson(path, PROPOSAL_FORMAT)
  const bodyBytes = hexField(path, obj, 'body')
  const bodyHash = sha256(bodyBytes)
  if (!bytesEqual(bodyHash, hexField(path, obj, 'bodySha256', 32)))
    throw new RosterFormatError(`${path}: field bodySha256 is not the SHA-256 of body`)
  const body = decodeRosterBody(bodyBytes)
  if (obj.kind !== body.kind || obj.network !== body.network || obj.version !== body.version)
    throw new RosterFormatError(`${path}: fields kind, network, version must match the body`)
  return { body, bodyBytes, bodyHash }
}

/** Step 3 (each signer): sign the proposal's body bytes and write the signature file. */
export async function signProposal(
  proposalPath: string,
  identity: NodeIdentity,
  signaturePath: string,
): Promise<RosterSignature> {
  const proposal = await readProposal(proposalPath)
  const signature = identity.signer.sign(SignatureContext.roster, proposal.bodyBytes)
  await writeJson(signaturePath, {
    format: SIGNATURE_FORMAT,
    bodySha256: toHex(proposal.bodyHash),
    publicKey: toHex(identity.signingPublicKey),
    signature: toHex(signature),
  })
  return { publicKey: identity.signingPublicKey, signature }
}

export async function readSignature(path: string, proposal: RosterProposal): Promise<RosterSignature> {
  const obj = await readJson(path, SIGNATURE_FORMAT)
  if (!bytesEqual(hexField(path, obj, 'bodySha256', 32), proposal.bodyHash))
    throw new RosterFormatError(`${path}: signs another proposal (bodySha256 differs)`)
  const sig = {
    publicKey: hexField(path, obj, 'publicKey', 32),
    signature: hexField(path, obj, 'signature', 64),
  }
  if (!verify(SignatureContext.roster, proposal.bodyBytes, sig.signature, sig.publicKey))
    throw new RosterFormatError(`${path}: the signature does not verify over the proposal`)
  return sig
}

/**
 * Step 4 (the coordinator): combine the signatures into the signed document, verify the whole
 * resulting chain (genesis alone, or `chain` plus the amendment) and write it to `chainPath`.
 */
export async function combineSignatures(init: {
  proposalPath: string
  signaturePaths: string[]
  /** The current chain, for an amendment. */
  chain?: Uint8Array[]
  chainPath: string
}): Promise<VerifiedRosterChain> {
  const proposal = await readProposal(init.proposalPath)
  const signatures = await Promise.all(init.signaturePaths.map((p) => readSignature(p, proposal)))
  const unique = [...new Map(signatures.map((s) => [toHex(s.publicKey), s])).values()]
  const document = encodeRosterDocument(proposal.bodyBytes, unique)
  const documents = proposal.body.kind === 'genesis' ? [document] : [...(init.chain ?? []), document]
  const verified = verifyRosterChain(documents)
  await writeRosterChainFile(init.chainPath, documents)
  return verified
}

export async function writeRosterChainFile(path: string, documents: Uint8Array[]): Promise<void> {
  await writeFileAtomic(path, encodeRosterChain(documents), 0o644)
}

export async function readRosterChainFile(path: string): Promise<Uint8Array[]> {
  return decodeRosterChain(new Uint8Array(await readWithin(path, ROSTER_CHAIN_FILE)))
}
