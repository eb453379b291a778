import type { EquivocationEvidence } from './witness/evidence.ts'

/** Base class of every error this package throws on purpose. */
export class LedgerError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** An event or stored entry breaks a rule of the entry format; `field` names the field. */
export class InvalidEntryError extends LedgerError {
  readonly field: string
  constructor(field: string, rule: string) {
    super('ERR_INVALID_ENTRY', `entry field '${field}' ${rule}`)
    this.field = field
  }
}

/**
 * Which signed-note rule a note broke: its shape, a known key's failing signature, or no
 * known key's signature at all (Go's sumdb/note: malformed note, invalid signature for key,
 * no verifiable signatures).
 */
export type NoteProblem = 'malformed' | 'invalid-signature' | 'no-verified-signature'

/** A checkpoint note does not follow the C2SP checkpoint / signed-note format, or is not validly signed. */
export class CheckpointFormatError extends LedgerError {
  readonly problem: NoteProblem
  constructor(rule: string, problem: NoteProblem = 'malformed') {
    super('ERR_CHECKPOINT_FORMAT', `checkpoint: ${rule}`)
    this.problem = problem
  }
}

/** The ledger will not sign a checkpoint that goes backwards or contradicts an earlier one. */
export class CheckpointRefusedError extends LedgerError {
  constructor(reason: string) {
    super('ERR_CHECKPOINT_REFUSED', `refusing to sign checkpoint: ${reason}`)
  }
}

/** A sequence number, tree size or blob hash outside what the ledger holds. */
export class NotFoundError extends LedgerError {
  constructor(what: string) {
    super('ERR_NOT_FOUND', what)
  }
}

/** Cosignatures were offered for a checkpoint size the ledger never signed (or not yet). */
export class CheckpointNotFoundError extends NotFoundError {
  readonly size: number
  readonly hint: string
  constructor(size: number, latestSize: number | undefined) {
    super(
      `no checkpoint of size ${size} is stored (${latestSize === undefined ? 'none was signed yet' : `the latest is of size ${latestSize}`})`,
    )
    this.size = size
    this.hint =
      'cosignatures belong to a checkpoint this ledger signed: pass the size of the note the witness cosigned'
  }
}

/** A blob could not be stored or read back (too large, or its stored bytes do not open). */
export class BlobError extends LedgerError {
  constructor(rule: string) {
    super('ERR_BLOB', `blob: ${rule}`)
  }
}

/** The stored ledger is not what this code wrote (wrong origin or key, damaged tree state). */
export class LedgerStateError extends LedgerError {
  constructor(rule: string) {
    super('ERR_LEDGER_STATE', rule)
  }
}

/** The ledger was used after close(). */
export class LedgerClosedError extends LedgerError {
  constructor() {
    super('ERR_LEDGER_CLOSED', 'the ledger is closed')
  }
}

/** An export bundle is not in the format `docs/ledger.md` describes. */
export class BundleFormatError extends LedgerError {
  constructor(rule: string) {
    super('ERR_BUNDLE_FORMAT', `export bundle: ${rule}`)
  }
}

/** An export bundle ends inside a record: the file was cut short. */
export class BundleTruncatedError extends BundleFormatError {}

/** Which part of an inclusion proof, as served, is wrong. */
export type ProofField = 'seq' | 'checkpoint' | 'origin' | 'treeSize' | 'leafHash' | 'proof'

/** An inclusion proof does not prove its entry under a checkpoint of the expected log; `field` says which part. */
export class ProofError extends LedgerError {
  readonly field: ProofField
  readonly hint: string
  constructor(field: ProofField, rule: string, options?: { cause?: unknown }) {
    super('ERR_PROOF_INVALID', rule)
    if (options?.cause !== undefined) this.cause = options.cause
    this.field = field
    this.hint =
      'the proof was not made by the ledger signed with this key for this log, or was changed on the way: ' +
      'ask for it again, and compare the key and origin with the roster'
  }
}

/** Why a witness refused to cosign (c2sp.org/tlog-witness); `status` is the HTTP status that spec gives it. */
export type WitnessRefusal =
  | 'unknown-log'
  | 'bad-log-signature'
  | 'bad-request'
  | 'old-size-mismatch'
  | 'rollback'
  | 'bad-consistency-proof'
  | 'equivocation'

/** A witness refused a checkpoint; the subclass says why. */
export class WitnessRefusedError extends LedgerError {
  readonly reason: WitnessRefusal
  readonly status: number
  constructor(reason: WitnessRefusal, status: number, message: string) {
    super(
      `ERR_WITNESS_${reason.toUpperCase().replaceAll('-', '_')}`,
      `witness refuses the checkpoint: ${message}`,
    )
    this.reason = reason
    this.status = status
  }
}

/** The checkpoint's origin is not a log this witness is configured for. */
export class UnknownLogError extends WitnessRefusedError {
  readonly origin: string
  constructor(origin: string) {
    super(
      'unknown-log',
      404,
      `${origin} is not a log this witness follows (add its origin and key to its logs)`,
    )
    this.origin = origin
  }
}

/** The checkpoint is not signed by a key the witness trusts for its origin. */
export class LogSignatureError extends WitnessRefusedError {
  constructor(detail: string) {
    super('bad-log-signature', 403, `${detail} (is the log signing with the key the witness has for it?)`)
  }
}

/** The request itself breaks the protocol: a malformed note or proof, or an old size above the new one. */
export class WitnessRequestError extends WitnessRefusedError {
  constructor(rule: string) {
    super('bad-request', 400, rule)
  }
}

/**
 * The old size is not the size of the checkpoint the witness last cosigned: the log should
 * send a consistency proof from `heldSize` instead.
 */
export class OldSizeMismatchError extends WitnessRefusedError {
  readonly heldSize: number
  constructor(oldSize: number, heldSize: number) {
    super(
      'old-size-mismatch',
      409,
      `old size ${oldSize} is not ${heldSize}, the size it last cosigned; prove from ${heldSize}`,
    )
    this.heldSize = heldSize
  }
}

/** The checkpoint is smaller than one the witness already cosigned: it never goes back. */
export class RollbackError extends WitnessRefusedError {
  readonly heldSize: number
  constructor(size: number, heldSize: number) {
    super('rollback', 409, `tree size ${size} is below ${heldSize}, which it already cosigned`)
    this.heldSize = heldSize
  }
}

/** The consistency proof does not lead from the held checkpoint to the new one. */
export class ConsistencyProofError extends WitnessRefusedError {
  constructor(detail: string) {
    super('bad-consistency-proof', 422, detail)
  }
}

/**
 * The log signed two checkpoints that cannot both be true; `evidence` holds both signed notes
 * (and the proof) for anyone to check with verifyEvidence.
 */
export class EquivocationError extends WitnessRefusedError {
  readonly evidence: EquivocationEvidence
  constructor(status: number, detail: string, evidence: EquivocationEvidence) {
    super('equivocation', status, `the log equivocated: ${detail}`)
    this.evidence = evidence
  }
}

/** Equivocation evidence does not prove what it claims; `rule` says which check failed. */
export class EvidenceError extends LedgerError {
  constructor(rule: string) {
    super('ERR_EVIDENCE', `equivocation evidence: ${rule}`)
  }
}

/** The witness's stored state is not what this code wrote, or the witness was used after close(). */
export class WitnessStateError extends LedgerError {
  constructor(rule: string) {
    super('ERR_WITNESS_STATE', `witness state: ${rule}`)
  }
}

/**
 * A bundle given to reconciliation is refused before any message is compared: it fails
 * verification, is not a node's ledger, or changed after it was verified. `bundle` says which.
 */
export class BundleRejectedError extends LedgerError {
  readonly bundle: 'A' | 'B'
  readonly path: string
  /** The first bad entry, when the problem is one. */
  readonly seq: number | undefined
  readonly hint: string
  constructor(bundle: 'A' | 'B', path: string, reason: string, hint: string, seq?: number) {
    super('ERR_BUNDLE_REJECTED', `bundle ${bundle} (${path}) ${reason}`)
    this.bundle = bundle
    this.path = path
    this.seq = seq
    this.hint = hint
  }
}

/** Two bundles that cannot be reconciled with each other: one country twice, or two networks. */
export class NotReconcilableError extends LedgerError {
  readonly hint: string
  constructor(rule: string, hint: string) {
    super('ERR_NOT_RECONCILABLE', rule)
    this.hint = hint
  }
}
