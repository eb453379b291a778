import { REQUEST_TYPES, type RequestType, SCHEMAS } from './constants.ts'
import {
  type EvidenceCollectionRequest,
  type LegalInformationRequest,
  type LocateSuspectRequest,
  readEvidence,
  readLegalInformation,
  readLocateSuspect,
  readTechnicalAdvice,
  type TechnicalAdviceRequest,
} from './forms/assistance.ts'
import { COMMON_FIELDS, type CommonFields, type Fields, readCommon } from './forms/common.ts'
import { type EmergencyDisclosureRequest, readEmergency } from './forms/emergency.ts'
import { type EmergencyAssistanceRequest, readEmergencyAssistance } from './forms/emergency-assistance.ts'
import {
  type PreservationRequest,
  readPreservation,
  readTrafficData,
  type TrafficDataDisclosureRequest,
} from './forms/preservation.ts'
import { readSpontaneous, type SpontaneousInformation } from './forms/spontaneous.ts'
import { describeValue, FormReader, type Validation } from './problems.ts'

export type {
  EvidenceCollectionRequest,
  LegalInformationRequest,
  LocateSuspectRequest,
  TechnicalAdviceRequest,
} from './forms/assistance.ts'
export type {
  Attachment,
  CommonFields,
  ConfirmationContact,
  HandlingConditions,
  InvestigatingAuthority,
  Offence,
  Officer,
  RelatedCase,
  RequestingAuthority,
} from './forms/common.ts'
export { MAX_TEXT_LENGTH } from './forms/common.ts'
export type { EmergencyDisclosureRequest } from './forms/emergency.ts'
export type { EmergencyAssistanceRequest } from './forms/emergency-assistance.ts'
export type { PreservationRequest, TrafficDataDisclosureRequest } from './forms/preservation.ts'
export type { SpontaneousInformation } from './forms/spontaneous.ts'

export type CaseRequest =
  | PreservationRequest
  | TrafficDataDisclosureRequest
  | EmergencyDisclosureRequest
  | TechnicalAdviceRequest
  | EvidenceCollectionRequest
  | LegalInformationRequest
  | LocateSuspectRequest
  | EmergencyAssistanceRequest
  | SpontaneousInformation

/** The top-level fields each form may hold; anything else is reported as an unknown field. */
export const REQUEST_FIELDS: Record<RequestType, readonly string[]> = {
  preservation: [
    ...COMMON_FIELDS,
    'requestKind',
    'extensionOf',
    'offence',
    'facts',
    'data',
    'custodian',
    'necessity',
    'mlaIntent',
  ],
  'traffic-data-disclosure': [
    ...COMMON_FIELDS,
    'preservationReference',
    'offence',
    'facts',
    'identifiers',
    'purpose',
  ],
  'emergency-disclosure': [
    ...COMMON_FIELDS,
    'underSecondProtocol',
    'providers',
    'offence',
    'emergency',
    'data',
    'proceduralInstructions',
    'otherInformation',
  ],
  'technical-advice': [...COMMON_FIELDS, 'topic', 'question', 'identifiers'],
  'evidence-collection': [...COMMON_FIELDS, 'offence', 'facts', 'evidence', 'legalBasis'],
  'legal-information': [...COMMON_FIELDS, 'topic', 'question'],
  'locate-suspect': [...COMMON_FIELDS, 'offence', 'facts', 'suspect'],
  'emergency-assistance': [
    ...COMMON_FIELDS,
    'offence',
    'facts',
    'emergency',
    'assistance',
    'centralAuthorityCopy',
    'resultsChannel',
  ],
  'spontaneous-information': [...COMMON_FIELDS, 'offence', 'information', 'conditions'],
}

/** The request type a schema id names, or undefined for an unknown or future schema. */
export function requestTypeOfSchema(schema: string): RequestType | undefined {
  return REQUEST_TYPES.find((type) => SCHEMAS[type] === schema)
}

export function requestTypeOf(request: CaseRequest): RequestType {
  return requestTypeOfSchema(request.schema)!
}

function readSchema(reader: FormReader, value: unknown): RequestType | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reader.report('', 'type', `a request must be a group of fields, not ${describeValue(value)}`)
  }
  const schema = (value as Fields).schema
  const known = Object.values(SCHEMAS).join(', ')
  if (schema === undefined || schema === null) {
    return reader.report('schema', 'required', `is required; it says which form this is: one of ${known}`)
  }
  const type = typeof schema === 'string' ? requestTypeOfSchema(schema) : undefined
  if (type === undefined)
    return reader.report('schema', 'enum', `is ${describeValue(schema)}; use one of ${known}`)
  return type
}

/** The reader of each request type's own fields. */
const READERS: Record<
  RequestType,
  (reader: FormReader, fields: Fields, common: CommonFields | undefined) => CaseRequest | undefined
> = {
  preservation: readPreservation,
  'traffic-data-disclosure': readTrafficData,
  'emergency-disclosure': readEmergency,
  'technical-advice': readTechnicalAdvice,
  'evidence-collection': readEvidence,
  'legal-information': readLegalInformation,
  'locate-suspect': readLocateSuspect,
  'emergency-assistance': readEmergencyAssistance,
  'spontaneous-information': readSpontaneous,
}

/**
 * Checks a request form (parsed YAML or JSON, or a decoded message) and returns the typed request
 * or every problem found in one pass. Never throws on bad input.
 */
export function validateRequest(input: unknown): Validation<CaseRequest> {
  const reader = new FormReader()
  const type = readSchema(reader, input)
  if (type === undefined) return { ok: false, problems: reader.problems }
  const fields = reader.object(input, '', REQUEST_FIELDS[type])!
  const common = readCommon(reader, fields)
  const request = READERS[type](reader, fields, common)
  if (reader.problems.length > 0 || request === undefined) return { ok: false, problems: reader.problems }
  return { ok: true, value: request }
}
