export { blobHash } from './blobs.ts'
export { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleHeader, type BundleItem, readBundle } from './bundle.ts'
export { type BundleProof, EntryNotCoveredError, proveFromBundle } from './bundle-proof.ts'
export {
  type Checkpoint,
  checkpointBody,
  checkpointKeyId,
  checkpointOrigin,
  parseCheckpoint,
  parseCheckpointBody,
  type SignedCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  verifyStandardCheckpoint,
} from './checkpoint.ts'
export { legacyCheckpointKeyId } from './checkpoint-legacy.ts'
export { MAX_BATCH_ENTRIES, MAX_BLOB_BYTES, MAX_BLOB_REFS, MAX_ENTRY_BYTES } from './constants.ts'
export {
  type Cosignature,
  type Cosigner,
  cosignatureKeyId,
  cosignedMessage,
  parseCosignature,
  signCosignature,
  type VerifiedCosignature,
  verifyCosignature,
  verifyCosignatures,
  type WitnessKey,
} from './cosignature.ts'
export {
  type CosignatureKind,
  checkCosignatureOf,
  cosignatureKindOf,
  parseAnyCosignature,
  type WitnessKeys,
} from './cosignature-kind.ts'
export { addCosignatures } from './cosigned-note.ts'
export {
  decodeEntry,
  ENTRY_KINDS,
  type EntryKind,
  encodeEntry,
  type LedgerEntry,
  type LedgerEvent,
} from './entry.ts'
export {
  BlobError,
  BundleFormatError,
  BundleRejectedError,
  BundleTruncatedError,
  CheckpointFormatError,
  CheckpointNotFoundError,
  CheckpointRefusedError,
  ConsistencyProofError,
  EquivocationError,
  EvidenceError,
  InvalidEntryError,
  LedgerClosedError,
  LedgerError,
  LedgerStateError,
  LogSignatureError,
  type NoteProblem,
  NotFoundError,
  NotReconcilableError,
  OldSizeMismatchError,
  ProofError,
  type ProofField,
  RollbackError,
  UnknownLogError,
  type WitnessRefusal,
  WitnessRefusedError,
  WitnessRequestError,
  WitnessStateError,
} from './errors.ts'
export type {
  KeyEpoch,
  KeyRotationGrant,
  KeyRotationPolicy,
} from './key-rotation.ts'
export { Ledger } from './ledger.ts'
export { ledgerInUse } from './ledger-in-use.ts'
export type { AppendOptions, CheckpointPolicy, LedgerOptions } from './ledger-options.ts'
export { EMPTY_ROOT, hashLeaf, verifyConsistency, verifyInclusion } from './merkle.ts'
export {
  type MlDsaCosigner,
  type MlDsaWitnessKey,
  mlDsaCosignatureKeyId,
  mlDsaCosignatureVerifier,
  parseMlDsaCosignature,
  signMlDsaCosignature,
  subtreeCosignedMessage,
  verifyMlDsaCosignature,
} from './mldsa-cosignature.ts'
export { checkProofLocally, type LogPin, type ProofView } from './proof-check.ts'
export type { QueryOptions } from './query.ts'
export type {
  DirectionReport,
  Mismatch,
  MismatchKind,
  OutsideOverlap,
  TrafficReport,
} from './reconcile/match.ts'
export {
  type ReconciledLedger,
  type ReconcileOptions,
  type ReconcilePin,
  type ReconcileReport,
  reconcileBundles,
} from './reconcile/reconcile.ts'
export type {
  BundleOwner,
  BundleTraffic,
  KeyInForce,
  ReceiptRecord,
  ReceivedRecord,
  SentRecord,
} from './reconcile/traffic.ts'
export {
  ed25519NoteVerifier,
  formatSignatureLine,
  NOTE_SIGNATURE_TYPE,
  type NoteSignature,
  type NoteVerifier,
  noteKeyId,
  type OpenedNote,
  openNote,
  parseSignatureLine,
  type SplitNote,
  splitNote,
} from './signed-note.ts'
export { formatVerifierKey, parseVerifierKey, type VerifierKey } from './verifier-key.ts'
export type { AuthorisedKey } from './verify/key-sequence.ts'
export {
  type ListedCosignature,
  type VerifyOptions,
  type VerifyProgress,
  type VerifyReport,
  verifyLedger,
  type WitnessRequirement,
  type WitnessSummary,
} from './verify.ts'
export {
  type EquivocationEvidence,
  type EquivocationKind,
  type VerifiedEvidence,
  verifyEvidence,
} from './witness/evidence.ts'
export { memberWitnessName } from './witness/name.ts'
export {
  type AddCheckpointRequest,
  type CosignedCheckpoint,
  Witness,
  type WitnessedLog,
  type WitnessOptions,
} from './witness/witness.ts'
