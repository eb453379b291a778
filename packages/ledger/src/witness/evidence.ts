import { bytesEqual } from '@pocnet/crypto'
import { type SignedCheckpoint, verifyStandardCheckpoint } from '../checkpoint.ts'
import { EvidenceError } from '../errors.ts'
import { consistencyProofRoots } from '../merkle.ts'
import { decodeBase64 } from '../signed-note.ts'

/*
 * Evidence that a log equivocated: two checkpoints it signed that cannot both be views of one
 * append-only log. Either they have the same size and different roots, or a consistency proof
 * from the smaller to the larger hashes up to the larger one's root yet implies another root for
 * the smaller size: under SHA-256's collision resistance the larger tree's prefix then differs from
 * the smaller tree. A proof that does not reach the larger root proves nothing (anyone can send a
 * wrong proof), so it is refused without evidence; so is a smaller size that is a power of two,
 * whose root a standard proof leaves out.
 */

export type EquivocationKind = 'same-size' | 'inconsistent-proof'

/** JSON-ready: notes are their text, proof hashes base64. */
export interface EquivocationEvidence {
  kind: EquivocationKind
  origin: string
  /** The checkpoint the witness held, which it had cosigned. */
  heldNote: string
  /** The later checkpoint that contradicts it. */
  conflictingNote: string
  /** For 'inconsistent-proof': the proof from the held size to the conflicting size. */
  proof: string[]
  /** When the witness recorded it, milliseconds since the epoch. */
  recordedAt: number
}

export interface VerifiedEvidence {
  held: SignedCheckpoint
  conflicting: SignedCheckpoint
}

function verifiedNote(note: string, logKeys: readonly Uint8Array[], which: string): SignedCheckpoint {
  try {
    return verifyStandardCheckpoint(note, logKeys)
  } catch (err) {
    throw new EvidenceError(`the ${which} note is not validly signed by the log: ${(err as Error).message}`)
  }
}

/**
 * What `proof` says about `held` and `conflicting`: 'contradicts' when it reaches the conflicting
 * root but implies another root for the held size, 'consistent' when it proves the held tree a
 * prefix, 'unproven' when it shows neither.
 */
export function judgeConsistencyProof(
  held: { size: number; root: Uint8Array },
  conflicting: { size: number; root: Uint8Array },
  proof: readonly Uint8Array[],
): 'consistent' | 'contradicts' | 'unproven' {
  const roots = consistencyProofRoots(held.size, conflicting.size, proof, held.root)
  if (roots === undefined || !bytesEqual(roots.second, conflicting.root)) return 'unproven'
  return bytesEqual(roots.first, held.root) ? 'consistent' : 'contradicts'
}

/**
 * Checks `evidence` against the log's public key(s): both notes validly signed (standard
 * signed-note Ed25519) for the same origin, and contradicting each other as its kind says.
 * Returns both checkpoints; throws EvidenceError naming the failed check otherwise.
 */
export function verifyEvidence(
  evidence: EquivocationEvidence,
  logKey: Uint8Array | readonly Uint8Array[],
): VerifiedEvidence {
  const keys = logKey instanceof Uint8Array ? [logKey] : logKey
  const held = verifiedNote(evidence.heldNote, keys, 'held')
  const conflicting = verifiedNote(evidence.conflictingNote, keys, 'conflicting')
  if (held.origin !== evidence.origin || conflicting.origin !== evidence.origin)
    throw new EvidenceError(`both notes must be checkpoints of ${evidence.origin}`)
  if (evidence.kind === 'same-size') {
    if (held.size !== conflicting.size) throw new EvidenceError('same-size evidence needs notes of one size')
    if (bytesEqual(held.root, conflicting.root)) throw new EvidenceError('the two notes sign the same root')
    return { held, conflicting }
  }
  if (evidence.kind !== 'inconsistent-proof') throw new EvidenceError(`unknown kind ${String(evidence.kind)}`)
  if (!(held.size > 0 && held.size < conflicting.size))
    throw new EvidenceError('inconsistent-proof evidence needs 0 < held size < conflicting size')
  let proof: Uint8Array[]
  try {
    proof = evidence.proof.map((h) => decodeBase64(h, 'proof hash'))
  } catch (err) {
    throw new EvidenceError((err as Error).message)
  }
  const verdict = judgeConsistencyProof(held, conflicting, proof)
  if (verdict !== 'contradicts')
    throw new EvidenceError(
      verdict === 'consistent'
        ? 'the proof shows the held tree is a prefix of the conflicting one'
        : "the proof does not hash to the conflicting checkpoint's root, so it proves nothing",
    )
  return { held, conflicting }
}
