/**
 * `@pocnet/node/client`: what a control-API client needs (configuration, the data directory
 * layout, the control API's routes with their request and answer types, the control client and
 * its errors, node set-up) without the daemon. The CLI imports
 * this so a `pocnet status` does not load libp2p: only `pocnet start` loads the daemon.
 */

export type { AuditReport, Durations } from './audit.ts'
export type { CaseSummary } from './casebook/index.ts'
export {
  CONFIG_FILE,
  defaultConfig,
  frameBudgetOf,
  minCosigners,
  type NodeConfig,
  readConfig,
  validateConfig,
  writeConfig,
} from './config.ts'
export { DATA_DIR, DEFAULT_FRAME_BUDGET, DELIVERY_PROTOCOL } from './constants.ts'
export {
  ControlCallError,
  ControlClient,
  type ControlErrorBody,
  DaemonUnreachableError,
} from './control/client.ts'
export type {
  AnyRoute,
  CallArgs,
  NoRequest,
  RequestOf,
  ResponseOf,
  RouteDecl,
  RouteRequest,
} from './control/contract.ts'
export {
  type BundleWritten,
  type CaseDetail,
  type CaseOpened,
  type CaseStep,
  type CaseSubmission,
  type CheckpointView,
  CONTROL_ROUTES,
  caseRoutes,
  DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
  type DirectoryLookup,
  type DirectoryRecordView,
  directoryRoutes,
  type ExportRequest,
  FEED_MAX_WAIT_MS,
  type FeedBatch,
  type IllegalStepDetails,
  type InboxMessage,
  type InclusionProof,
  type LedgerEntryView,
  type LedgerQuery,
  ledgerRoutes,
  MAX_EXPORT_COSIGN_TIMEOUT_MS,
  type MessageQueued,
  type MessageSubmission,
  messageRoutes,
  type OutboxItemView,
  type PeerView,
  type RecordedEvidenceView,
  type RecordPublished,
  type RosterOffered,
  type SignedCheckpointView,
  type StepSent,
  statusRoutes,
  type UserAdded,
  type UserView,
  userRoutes,
  witnessRoutes,
} from './control/routes/index.ts'
export { ROLES, type Role, type UserRecord, UserStore } from './control/users.ts'
export type { Health, WitnessHealth } from './daemon/health.ts'
export type { ContactFile } from './daemon.ts'
export {
  ConfigError,
  type ConfigProblem,
  ControlSocketError,
  DataDirLockedError,
  DataFileError,
  NodeError,
  PassphraseError,
  UsersFileError,
} from './errors.ts'
export type { FeedEvent, FeedEventType } from './feed.ts'
export { type InitOptions, type InitResult, initNode } from './init.ts'
export type { LogLevel } from './log.ts'
export { obtainPassphrase } from './passphrase.ts'
export { type KeyRotated, retiredKeyFile, rotateNodeKey } from './retired-keys.ts'
export { MAX_EVIDENCE_BYTES } from './witness/wire.ts'
