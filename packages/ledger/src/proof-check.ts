import { fromHex } from '@pocnet/crypto'
import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { HASH_LENGTH } from './constants.ts'
import { LedgerError, ProofError, type ProofField } from './errors.ts'
import { verifyInclusion } from './merkle.ts'

/** An inclusion proof as a node serves it (`GET /ledger/proof/<seq>`): hashes in hex, the checkpoint as its note. */
export interface ProofView {
  seq: number
  treeSize: number
  leafHash: string
  proof: string[]
  checkpoint: string
}

/** The log a proof must belong to: the key that signs its checkpoints and their origin (from the roster). */
export interface LogPin {
  publicKey: Uint8Array
  origin: string
}

/**
 * Checks, with nothing but `pin`, that `p` proves entry `seq` under a checkpoint of that log: the
 * checkpoint is signed by the key and carries the origin (the key alone would also pass a log it
 * signed for another network), it signs the proof's tree size, and the proof leads from the leaf
 * to its root. Returns that checkpoint; throws ProofError naming the part that is wrong.
 */
export function checkProofLocally(p: ProofView, seq: number, pin: LogPin): SignedCheckpoint {
  if (p.seq !== seq) throw new ProofError('seq', `the proof is of entry ${p.seq}, not ${seq}`)
  let cp: SignedCheckpoint
  try {
    cp = verifyCheckpoint(p.checkpoint, pin.publicKey)
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err
    throw new ProofError('checkpoint', err.message, { cause: err })
  }
  if (cp.origin !== pin.origin)
    throw new ProofError('origin', `the checkpoint is of the log "${cp.origin}", not "${pin.origin}"`)
  if (cp.size !== p.treeSize)
    throw new ProofError('treeSize', `checkpoint size ${cp.size} is not the proof's ${p.treeSize}`)
  const leafHash = hashFromHex('leafHash', "the proof's leaf hash", p.leafHash)
  const proof = p.proof.map((h, i) => hashFromHex('proof', `the proof's hash ${i}`, h))
  if (!verifyInclusion(leafHash, seq, p.treeSize, proof, cp.root))
    throw new ProofError('proof', 'the proof does not lead to the checkpoint root')
  return cp
}

/** A served hash; the text is not quoted back, since it may hold anything (control characters too). */
function hashFromHex(field: ProofField, what: string, hex: string): Uint8Array {
  if (hex.length !== HASH_LENGTH * 2 || !/^[0-9a-f]*$/i.test(hex))
    throw new ProofError(field, `${what} is not a ${HASH_LENGTH}-byte hash in hex`)
  return fromHex(hex)
}
