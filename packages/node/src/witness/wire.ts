import type { AddCheckpointRequest, EquivocationEvidence, WitnessRefusal } from '@pocnet/ledger'
import { type CborValue, decode, encode, MessageFieldError } from '@pocnet/protocol'

/*
 * The frames of /pocnet/witness/1.0.0 and /pocnet/evidence/1.0.0 (docs/protocol.md §8.2, §8.3):
 * deterministic CBOR maps, one request and one answer per stream.
 */

/** tlog-witness add-checkpoint over libp2p: old size, consistency proof, signed note in; cosignature or refusal out. */
export const WITNESS_PROTOCOL = '/pocnet/witness/1.0.0'
/**
 * The same exchange, whose answer may also carry the witness's ML-DSA-44 cosignature line: asked of a
 * member whose roster entry has an ML-DSA-44 witness key. A new protocol id, not a new field on 1.0.0,
 * because a 1.0.0 reader refuses fields it does not know and answers over 1 KiB.
 */
export const WITNESS_PROTOCOL_ML_DSA = '/pocnet/witness/1.1.0'
/** Equivocation evidence a witness found, offered to every member. */
export const EVIDENCE_PROTOCOL = '/pocnet/evidence/1.0.0'

/** A signed note is at most 4 KiB (signed-note.ts); 63 proof hashes of 32 bytes; room for the CBOR around them. */
const MAX_NOTE_BYTES = 4096
const MAX_PROOF_HASHES = 63
const HASH_BYTES = 32
export const MAX_WITNESS_REQUEST_BYTES = 8 * 1024
export const MAX_WITNESS_ANSWER_BYTES = 1024
/** An answer of 1.1.0: the two lines, an ML-DSA-44 one being about 3.3 KB. */
export const MAX_WITNESS_ML_DSA_ANSWER_BYTES = 8 * 1024
/** Longest ML-DSA-44 cosignature line carried (2,432 bytes in base64, a name of up to 255). */
const MAX_ML_DSA_LINE_BYTES = 4096
/** Two notes and a proof in base64. */
export const MAX_EVIDENCE_BYTES = 16 * 1024
export const MAX_EVIDENCE_ANSWER_BYTES = 512
/** Longest refusal message carried. */
const MAX_MESSAGE_BYTES = 400

const WITNESS_REFUSALS: readonly WitnessRefusal[] = [
  'unknown-log',
  'bad-log-signature',
  'bad-request',
  'old-size-mismatch',
  'rollback',
  'bad-consistency-proof',
  'equivocation',
]
const EVIDENCE_KINDS = ['same-size', 'inconsistent-proof'] as const
export const EVIDENCE_OUTCOMES = ['recorded', 'known', 'refused'] as const
export type EvidenceOutcome = (typeof EVIDENCE_OUTCOMES)[number]

/** The witness's answer: a cosignature line, or the tlog-witness status of a refusal (with the size it holds for 409s). */
export type WitnessAnswer =
  | { status: 200; cosignature: string; mlDsaCosignature?: string }
  | { status: number; reason: WitnessRefusal | 'not-a-member'; message: string; heldSize?: number }

export interface EvidenceAnswer {
  outcome: EvidenceOutcome
  reason?: string
}

type CborMap = { [key: string]: CborValue }

function mapOf(
  frame: Uint8Array,
  what: string,
  maxBytes: number,
  required: string[],
  optional: string[] = [],
) {
  const value = decode(frame, { maxBytes, maxDepth: 2 })
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array)
    throw new MessageFieldError(what, 'must be a map')
  for (const key of required) if (!(key in value)) throw new MessageFieldError(`${what}.${key}`, 'is missing')
  for (const key of Object.keys(value))
    if (!required.includes(key) && !optional.includes(key))
      throw new MessageFieldError(`${what}.${key}`, 'is not a known field')
  return value as CborMap
}

function uint(map: CborMap, key: string, what: string): number {
  const v = map[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new MessageFieldError(`${what}.${key}`, 'must be a non-negative integer')
  return v
}

function text(map: CborMap, key: string, what: string, maxBytes: number): string {
  const v = map[key]
  if (typeof v !== 'string') throw new MessageFieldError(`${what}.${key}`, 'must be a text string')
  if (Buffer.byteLength(v) > maxBytes)
    throw new MessageFieldError(`${what}.${key}`, `must be at most ${maxBytes} bytes of UTF-8`)
  return v
}

function oneOf<T extends string>(map: CborMap, key: string, what: string, values: readonly T[]): T {
  const v = map[key]
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    throw new MessageFieldError(`${what}.${key}`, `must be one of ${values.join(', ')}`)
  return v as T
}

function list(map: CborMap, key: string, what: string, max: number): CborValue[] {
  const v = map[key]
  if (!Array.isArray(v) || v.length > max)
    throw new MessageFieldError(`${what}.${key}`, `must be an array of at most ${max} items`)
  return v
}

export function encodeWitnessRequest(request: AddCheckpointRequest): Uint8Array {
  return encode({
    oldSize: request.oldSize,
    proof: [...request.consistencyProof],
    note: request.checkpointNote,
  })
}

export function decodeWitnessRequest(frame: Uint8Array): AddCheckpointRequest {
  const m = mapOf(frame, 'request', MAX_WITNESS_REQUEST_BYTES, ['oldSize', 'proof', 'note'])
  const consistencyProof = list(m, 'proof', 'request', MAX_PROOF_HASHES).map((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES)
      throw new MessageFieldError(`request.proof[${i}]`, `must be a ${HASH_BYTES}-byte hash`)
    return h
  })
  return {
    oldSize: uint(m, 'oldSize', 'request'),
    consistencyProof,
    checkpointNote: text(m, 'note', 'request', MAX_NOTE_BYTES),
  }
}

export function encodeWitnessAnswer(answer: WitnessAnswer): Uint8Array {
  return encode(answer as unknown as CborValue)
}

/** Decodes an answer of 1.0.0, or with `mlDsa` of 1.1.0 (which may carry `mlDsaCosignature`). */
export function decodeWitnessAnswer(frame: Uint8Array, options: { mlDsa?: boolean } = {}): WitnessAnswer {
  const mlDsa = options.mlDsa === true
  const m = mapOf(
    frame,
    'answer',
    mlDsa ? MAX_WITNESS_ML_DSA_ANSWER_BYTES : MAX_WITNESS_ANSWER_BYTES,
    ['status'],
    ['cosignature', 'reason', 'message', 'heldSize', ...(mlDsa ? ['mlDsaCosignature'] : [])],
  )
  const status = uint(m, 'status', 'answer')
  if (status === 200) {
    if (m.reason !== undefined || m.message !== undefined || m.heldSize !== undefined)
      throw new MessageFieldError('answer', 'a cosignature (status 200) carries no refusal fields')
    return {
      status,
      cosignature: text(m, 'cosignature', 'answer', MAX_MESSAGE_BYTES),
      ...(m.mlDsaCosignature !== undefined && {
        mlDsaCosignature: text(m, 'mlDsaCosignature', 'answer', MAX_ML_DSA_LINE_BYTES),
      }),
    }
  }
  if (m.cosignature !== undefined || m.mlDsaCosignature !== undefined)
    throw new MessageFieldError('answer.cosignature', 'only with status 200')
  return {
    status,
    reason: oneOf(m, 'reason', 'answer', [...WITNESS_REFUSALS, 'not-a-member']),
    message: text(m, 'message', 'answer', MAX_MESSAGE_BYTES),
    ...(m.heldSize !== undefined && { heldSize: uint(m, 'heldSize', 'answer') }),
  }
}

export function encodeEvidence(evidence: EquivocationEvidence): Uint8Array {
  return encode({ ...evidence, proof: [...evidence.proof] })
}

export function decodeEvidence(frame: Uint8Array): EquivocationEvidence {
  const m = mapOf(frame, 'evidence', MAX_EVIDENCE_BYTES, [
    'kind',
    'origin',
    'heldNote',
    'conflictingNote',
    'proof',
    'recordedAt',
  ])
  const proof = list(m, 'proof', 'evidence', MAX_PROOF_HASHES).map((h, i) => {
    if (typeof h !== 'string' || h.length > 64)
      throw new MessageFieldError(`evidence.proof[${i}]`, 'must be a base64 hash')
    return h
  })
  return {
    kind: oneOf(m, 'kind', 'evidence', EVIDENCE_KINDS),
    origin: text(m, 'origin', 'evidence', 255),
    heldNote: text(m, 'heldNote', 'evidence', MAX_NOTE_BYTES),
    conflictingNote: text(m, 'conflictingNote', 'evidence', MAX_NOTE_BYTES),
    proof,
    recordedAt: uint(m, 'recordedAt', 'evidence'),
  }
}

export function encodeEvidenceAnswer(answer: EvidenceAnswer): Uint8Array {
  return encode(answer as unknown as CborValue)
}

export function decodeEvidenceAnswer(frame: Uint8Array): EvidenceAnswer {
  const m = mapOf(frame, 'answer', MAX_EVIDENCE_ANSWER_BYTES, ['outcome'], ['reason'])
  return {
    outcome: oneOf(m, 'outcome', 'answer', EVIDENCE_OUTCOMES),
    ...(m.reason !== undefined && { reason: text(m, 'reason', 'answer', MAX_MESSAGE_BYTES) }),
  }
}
