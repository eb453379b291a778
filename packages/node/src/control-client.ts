/**
 * `@pocnet/node/control-client`: the control API as a client sees it — the data directory
 * layout, the routes with their request and answer types, the control client and its errors —
 * and nothing else. It loads neither libp2p nor @pocnet/crypto (a test in packages/cli guards
 * this), so that a CLI command that only talks to the daemon starts in tens of milliseconds.
 * Types from the daemon's side come in through `import type` only.
 */

export type { AuditReport, Durations } from './audit.ts'
export type {
  CaseMatch,
  CaseRef,
  CaseSummary,
  DamagedCase,
  DamagedEntry,
  RepeatedIdentifier,
} from './casebook/index.ts'
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
export { ROLES, type Role, type UserRecord } from './control/roles.ts'
export {
  type AttachmentStatus,
  attachmentRoutes,
  type BundleWritten,
  type CaseAttachmentList,
  type CaseDetail,
  type CaseList,
  type CaseOpened,
  type CaseSearchResult,
  type CaseStep,
  type CaseSubmission,
  type CheckpointView,
  CONTROL_ROUTES,
  type CounterpartFinding,
  type CounterpartReport,
  caseRoutes,
  counterpartRoutes,
  DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
  type DirectoryLookup,
  type DirectoryRecordView,
  type DraftApproved,
  type DraftDetail,
  type DraftSubmission,
  type DraftSummary,
  type DrillRunRequest,
  type DutyView,
  directoryRoutes,
  drillRoutes,
  dutyRoutes,
  type ExportRequest,
  FEED_MAX_WAIT_MS,
  type FeedBatch,
  type IllegalStepDetails,
  type InboxMessage,
  type InclusionProof,
  intakeRoutes,
  type KnownCountryView,
  type LedgerEntryView,
  type LedgerQuery,
  ledgerRoutes,
  MAX_EXPORT_COSIGN_TIMEOUT_MS,
  type MessageDelivery,
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
  type WatchView,
  witnessRoutes,
} from './control/routes/index.ts'
export { TEST_CLOCK_ENV, testClockRoutes } from './control/routes/test-clock.ts'
export type { Health, WitnessHealth } from './daemon/health.ts'
export type { ContactFile } from './daemon.ts'
export type { DrillLaunch, DrillsOverview } from './drills/service.ts'
export type {
  DrillCountrySummary,
  DrillDurations,
  ReceivedDrillView,
  SentDrillView,
} from './drills/summary.ts'
export { type Cover, type Shift, WEEKDAYS, type Weekday } from './duty/roster.ts'
export type { FeedEvent, FeedEventType } from './feed.ts'
export { DRAFT_STATUSES, type DraftStatus, type IntakeAction, type IntakeStep } from './intake/draft.ts'
