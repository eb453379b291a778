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
