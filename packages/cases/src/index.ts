export {
  type AnswerDeadlineMinutes,
  answerDeadlineMinutes,
  answerDueAt,
  NO_ANSWER_EXPECTED,
} from './answer-clocks.ts'
export {
  type AttachmentTransfer,
  chunkCount,
  MAX_ATTACHMENTS,
  MAX_CHUNK_BYTES,
  MAX_CHUNKS,
  MIN_CHUNK_BYTES,
} from './attachments.ts'
export {
  allowedMoves,
  applyEvent,
  CASE_STATUSES,
  type Case,
  type CaseOpening,
  type CaseStatus,
  compareEvents,
  isFinished,
  openCase,
  type Preservation,
  type PreservationPeriod,
  type Replay,
  replayCase,
  TRANSITIONS,
} from './case.ts'
export {
  ALERT_KINDS,
  type Alert,
  type AlertKind,
  alertSchedule,
  type ClockConfig,
  dueAlerts,
  nextAlertAt,
  validateAnswerDeadlines,
  validateClockConfig,
} from './clocks.ts'
export {
  type ConditionsOnUse,
  conditionsPending,
  dataUsable,
} from './conditions.ts'
export {
  CLOCK_PRESETS,
  type ClockPresetName,
  CONFIDENTIALITY_LEVELS,
  type Confidentiality,
  DUAL_CRIMINALITY_EXEMPT_ARTICLES,
  IDENTIFIER_TYPES,
  type IdentifierType,
  LINK_RELATIONS,
  type LinkRelation,
  MAX_GRANTED_DAYS,
  PRESERVATION_LIMITS,
  type PreservationLimit,
  REFUSAL_GROUNDS,
  REQUEST_TYPES,
  RESPONSE_CHANNELS,
  type RefusalGround,
  type RequestType,
  type ResponseChannel,
  SCHEMAS,
  type SchemaId,
  URGENCIES,
  type Urgency,
} from './constants.ts'
export {
  type Custodian,
  isHeld,
  releasedByWithdrawal,
  WITHDRAWAL_RELEASE_REASON,
} from './custodians.ts'
export {
  MLA_DECISIONS,
  type MlaDecision,
  NOT_EXECUTED_REASONS,
  type NotExecutedReason,
  REFUSAL_GROUNDS_BY_TYPE,
  refusalGroundProblem,
} from './endings.ts'
export {
  type AllowedMove,
  CasesError,
  IllegalTransitionError,
  InvalidEventError,
  InvalidRequestError,
} from './errors.ts'
export {
  type CaseEvent,
  type CaseEventKind,
  type CaseEventOf,
  EVENT_KINDS,
  PAYLOAD_FIELDS,
  SIDES,
  type Side,
  type ThirdCountryDisclosure,
  validateEvent,
} from './events.ts'
export { MAX_CONDITION_LENGTH, MAX_CONDITIONS } from './events-endings.ts'
export {
  checkCountry,
  checkTimestamp,
  isIPv4,
  isIPv6,
  type Timestamp,
} from './formats.ts'
export {
  identifierKey,
  type KeyKind,
  kindOfKey,
  normalIp,
  referenceKey,
  SEARCH_KINDS,
  searchKeys,
} from './identifier-keys.ts'
export type {
  AccountIdentifier,
  DomainIdentifier,
  EmailIdentifier,
  Identifier,
  IpIdentifier,
  OtherIdentifier,
  PhoneIdentifier,
  UrlIdentifier,
} from './identifiers.ts'
export { type FollowUp, followUpPreservation } from './linking.ts'
export { messageTimeProblem } from './message-time.ts'
export { DEFAULT_MLA_REVIEW_INTERVAL_DAYS } from './preservation-clock.ts'
export { formatProblems, type Problem, type Rule, type Validation } from './problems.ts'
export {
  identifiersOf,
  type LocatedIdentifier,
  type RepeatedIdentifierText,
  type RequestKey,
  referencesOf,
  repeatedText,
  requestKeys,
} from './request-keys.ts'
export {
  type Attachment,
  type CaseRequest,
  type ConfirmationContact,
  type EmergencyAssistanceRequest,
  type EmergencyDisclosureRequest,
  type EvidenceCollectionRequest,
  type HandlingConditions,
  type InvestigatingAuthority,
  type LegalInformationRequest,
  type LocateSuspectRequest,
  type Offence,
  type Officer,
  type PreservationRequest,
  REQUEST_FIELDS,
  type RelatedCase,
  type RequestingAuthority,
  requestTypeOf,
  requestTypeOfSchema,
  type SpontaneousInformation,
  type TechnicalAdviceRequest,
  type TrafficDataDisclosureRequest,
  validateRequest,
} from './requests.ts'
export { renderSummary, templateFor } from './templates.ts'
