import { type Attachment, readAttachments } from './attachments.ts'
import {
  CONFIDENTIALITY_LEVELS,
  type Confidentiality,
  REQUEST_TYPES,
  RESPONSE_CHANNELS,
  type RequestType,
  type ResponseChannel,
  SCHEMAS,
  URGENCIES,
  type Urgency,
} from './constants.ts'
import {
  checkCountry,
  checkEmail,
  checkLanguage,
  checkPhone,
  checkTimeZone,
  isCalendarDate,
} from './formats.ts'
import { type Identifier, readFormatted, readIdentifier, readTimestamp } from './identifiers.ts'
import { describeValue, FormReader, joinPath, type Validation } from './problems.ts'
import { type RelatedCase, readRelatedCase } from './related-cases.ts'

export type { RelatedCase } from './related-cases.ts'

export interface Officer {
  readonly name: string
  readonly role?: string
}

/** Art. 29(2)(a) "the authority seeking preservation", with T-CY(2018)11's contact details. */
export interface RequestingAuthority {
  readonly name: string
  readonly officer: Officer
  readonly phones: readonly string[]
  readonly email: string
  /** Free text, read together with `timeZone` (e.g. "Mon-Fri 08:00-16:00; 24/7 desk outside"). */
  readonly officeHours: string
  readonly timeZone: string
  readonly preferredChannel: ResponseChannel
  readonly address?: string
}

/** T-CY(2018)11 "contact for confirmation": who to call to confirm the request is genuine. */
export interface ConfirmationContact {
  readonly name: string
  readonly phone?: string
  readonly email?: string
}

export interface InvestigatingAuthority {
  readonly name: string
  readonly reference?: string
  readonly contact?: string
}

export interface HandlingConditions {
  readonly confidentiality: Confidentiality
  /** Ask that the provider not tell its customer: tipping off a suspect ruins the investigation. */
  readonly doNotNotifySubscriber: boolean
  readonly instructions?: string
}

export type { Attachment } from './attachments.ts'

export interface Offence {
  readonly description: string
  readonly legalProvisions?: string
  readonly penalties?: string
  /** Convention articles (2-11) the offence falls under; Art. 29(4) reads them. */
  readonly conventionArticles?: readonly number[]
}

interface CommonFields {
  /** T-CY(2018)11 "date"; Second Protocol Art. 9(3)(a) "date on which the request was issued". */
  readonly issuedAt: string
  readonly caseReference: string
  readonly urgency: Urgency
  readonly language: string
  readonly requestingAuthority: RequestingAuthority
  readonly requestedAuthority?: string
  readonly confirmationContact?: ConfirmationContact
  readonly investigatingAuthority?: InvestigatingAuthority
  readonly handling?: HandlingConditions
  readonly attachments: readonly Attachment[]
  readonly relatedCases: readonly RelatedCase[]
}

/** Art. 29 expedited preservation; (a)-(f) are all mandatory. */
export interface PreservationRequest extends CommonFields {
  readonly schema: typeof SCHEMAS.preservation
  /** T-CY(2018)11: a new request, or an extension of an earlier one named in `extensionOf`. */
  readonly requestKind: 'new' | 'extension'
  readonly extensionOf?: string
  /** (b) the offence. */
  readonly offence: Offence
  /** (b) a brief summary of the facts. */
  readonly facts: string
  /** (c) the stored data to be preserved and its relationship to the offence. */
  readonly data: {
    readonly description: string
    readonly relationToOffence: string
    readonly identifiers: readonly Identifier[]
  }
  /** (d) information identifying the custodian or the location of the system. */
  readonly custodian: { readonly provider?: string; readonly location?: string; readonly country?: string }
  /** (e) the necessity of preservation. */
  readonly necessity: string
  /** (f) the intent to submit an MLA request for search, seizure or disclosure. */
  readonly mlaIntent: { readonly intendsToSubmit: true; readonly expectedBy?: string; readonly note?: string }
}

/** Art. 30 expedited disclosure of preserved traffic data, to find the providers on the path. */
export interface TrafficDataDisclosureRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['traffic-data-disclosure']
  /** The preservation the traffic data is held under. */
  readonly preservationReference: string
  readonly offence: Offence
  readonly facts: string
  readonly identifiers: readonly Identifier[]
  readonly purpose?: string
}

/** Second Additional Protocol Art. 9: disclosure of stored data in an emergency; (a)-(h) refer to Art. 9(3). */
export interface EmergencyDisclosureRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['emergency-disclosure']
  /** (b) the statement that the request is issued under the Protocol. */
  readonly underSecondProtocol: true
  /** (c) name and address of the provider(s) holding the data. */
  readonly providers: readonly { readonly name: string; readonly address: string }[]
  /** (d) offence with its legal provisions and penalties. */
  readonly offence: Offence & { readonly legalProvisions: string; readonly penalties: string }
  /** (e) facts showing the emergency and how the data relate to it. */
  readonly emergency: { readonly facts: string; readonly dataRelation: string }
  /** (f) a detailed description of the data sought. */
  readonly data: { readonly description: string; readonly identifiers: readonly Identifier[] }
  /** (g) special procedural instructions. */
  readonly proceduralInstructions?: string
  /** (h) any other information that may help obtain disclosure. */
  readonly otherInformation?: string
}

/** Art. 35(1)(a) technical advice. */
export interface TechnicalAdviceRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['technical-advice']
  readonly topic: string
  readonly question: string
  readonly identifiers: readonly Identifier[]
}

/** Art. 35(1)(c) collection of evidence. */
export interface EvidenceCollectionRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['evidence-collection']
  readonly offence: Offence
  readonly facts: string
  readonly evidence: { readonly description: string; readonly identifiers: readonly Identifier[] }
  readonly legalBasis?: string
}

/** Art. 35(1)(c) provision of legal information. */
export interface LegalInformationRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['legal-information']
  readonly topic: string
  readonly question: string
}

/** Art. 35(1)(c) locating suspects. */
export interface LocateSuspectRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['locate-suspect']
  readonly offence: Offence
  readonly facts: string
  readonly suspect: {
    readonly name?: string
    readonly aliases: readonly string[]
    readonly dateOfBirth?: string
    readonly nationality?: string
    readonly lastKnownLocation?: string
    readonly identifiers: readonly Identifier[]
  }
}

export type CaseRequest =
  | PreservationRequest
  | TrafficDataDisclosureRequest
  | EmergencyDisclosureRequest
  | TechnicalAdviceRequest
  | EvidenceCollectionRequest
  | LegalInformationRequest
  | LocateSuspectRequest

const COMMON_FIELDS = [
  'schema',
  'issuedAt',
  'caseReference',
  'urgency',
  'language',
  'requestingAuthority',
  'requestedAuthority',
  'confirmationContact',
  'investigatingAuthority',
  'handling',
  'attachments',
  'relatedCases',
] as const

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
}

/** The most characters a request's free text (facts, descriptions, instructions) may hold. */
export const MAX_TEXT_LENGTH = 10_000
const TEXT = { required: true, max: MAX_TEXT_LENGTH } as const
const SHORT = { required: true, max: 300 } as const
const OPTIONAL_TEXT = { required: false, max: MAX_TEXT_LENGTH } as const
const OPTIONAL_SHORT = { required: false, max: 300 } as const

type Fields = Record<string, unknown>

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

function readAuthority(reader: FormReader, value: unknown, path: string): RequestingAuthority | undefined {
  const f = reader.object(value, path, [
    'name',
    'officer',
    'phones',
    'email',
    'officeHours',
    'timeZone',
    'preferredChannel',
    'address',
  ])
  if (f === undefined) return undefined
  const name = reader.string(f, 'name', path, SHORT)
  const officerPath = joinPath(path, 'officer')
  const officerFields = reader.object(f.officer, officerPath, ['name', 'role'])
  const officerName = officerFields && reader.string(officerFields, 'name', officerPath, SHORT)
  const officerRole = officerFields && reader.string(officerFields, 'role', officerPath, OPTIONAL_SHORT)
  const phones = reader.list(f, 'phones', path, { min: 1, max: 10 }, (v, p) => readPhoneItem(reader, v, p))
  const email = readFormatted(reader, f, 'email', path, true, checkEmail)
  const officeHours = reader.string(f, 'officeHours', path, SHORT)
  const timeZone = readFormatted(reader, f, 'timeZone', path, true, checkTimeZone)
  const preferredChannel = reader.oneOf(f, 'preferredChannel', path, RESPONSE_CHANNELS, true)
  const address = reader.string(f, 'address', path, OPTIONAL_SHORT)
  if (
    name === undefined ||
    officerName === undefined ||
    phones === undefined ||
    email === undefined ||
    officeHours === undefined ||
    timeZone === undefined ||
    preferredChannel === undefined
  ) {
    return undefined
  }
  return {
    name,
    officer: { name: officerName, ...(officerRole !== undefined && { role: officerRole }) },
    phones,
    email,
    officeHours,
    timeZone,
    preferredChannel,
    ...(address !== undefined && { address }),
  }
}

function readPhoneItem(reader: FormReader, value: unknown, path: string): string | undefined {
  if (typeof value !== 'string')
    return reader.report(path, 'type', `must be a phone number, not ${describeValue(value)}`)
  const checked = checkPhone(value)
  return checked.ok ? checked.value : reader.report(path, 'format', checked.reason)
}

function readConfirmationContact(
  reader: FormReader,
  value: unknown,
  path: string,
): ConfirmationContact | undefined {
  const f = reader.object(value, path, ['name', 'phone', 'email'])
  if (f === undefined) return undefined
  const name = reader.string(f, 'name', path, SHORT)
  const phone = readFormatted(reader, f, 'phone', path, false, checkPhone)
  const email = readFormatted(reader, f, 'email', path, false, checkEmail)
  if (phone === undefined && email === undefined) {
    if (!reader.reported(joinPath(path, 'phone')) && !reader.reported(joinPath(path, 'email'))) {
      reader.report(
        joinPath(path, 'phone'),
        'required',
        'give a phone or an e-mail, or the request cannot be confirmed',
      )
    }
    return undefined
  }
  if (name === undefined) return undefined
  return { name, ...(phone !== undefined && { phone }), ...(email !== undefined && { email }) }
}

function readOffence(reader: FormReader, value: unknown, path: string, legalDetailRequired: boolean) {
  const f = reader.object(value, path, ['description', 'legalProvisions', 'penalties', 'conventionArticles'])
  if (f === undefined) return undefined
  const description = reader.string(f, 'description', path, TEXT)
  const legalProvisions = reader.string(f, 'legalProvisions', path, {
    required: legalDetailRequired,
    max: 2000,
  })
  const penalties = reader.string(f, 'penalties', path, { required: legalDetailRequired, max: 2000 })
  const conventionArticles = reader.list(f, 'conventionArticles', path, { min: 0, max: 20 }, (v, p) =>
    Number.isInteger(v) && (v as number) >= 2 && (v as number) <= 11
      ? (v as number)
      : reader.report(p, 'range', `is ${describeValue(v)}; Convention offences are Articles 2 to 11`),
  )
  if (description === undefined) return undefined
  return {
    description,
    ...(legalProvisions !== undefined && { legalProvisions }),
    ...(penalties !== undefined && { penalties }),
    ...(conventionArticles !== undefined && conventionArticles.length > 0 && { conventionArticles }),
  }
}

function readIdentifiers(reader: FormReader, f: Fields, path: string, min: number): Identifier[] | undefined {
  return reader.list(f, 'identifiers', path, { min, max: 500 }, (v, p) => readIdentifier(reader, v, p))
}

function readCommon(reader: FormReader, f: Fields): CommonFields | undefined {
  const issuedAt = readTimestamp(reader, f, 'issuedAt', '', true)
  const caseReference = reader.string(f, 'caseReference', '', SHORT)
  const urgency = reader.oneOf(f, 'urgency', '', URGENCIES, true)
  const language = readFormatted(reader, f, 'language', '', true, checkLanguage)
  const requestingAuthority = readAuthority(reader, f.requestingAuthority, 'requestingAuthority')
  const requestedAuthority = reader.string(f, 'requestedAuthority', '', OPTIONAL_SHORT)
  const confirmationContact = reader.present(f, 'confirmationContact')
    ? readConfirmationContact(reader, f.confirmationContact, 'confirmationContact')
    : undefined
  let investigatingAuthority: InvestigatingAuthority | undefined
  if (reader.present(f, 'investigatingAuthority')) {
    const path = 'investigatingAuthority'
    const ia = reader.object(f.investigatingAuthority, path, ['name', 'reference', 'contact'])
    const name = ia && reader.string(ia, 'name', path, SHORT)
    const reference = ia && reader.string(ia, 'reference', path, OPTIONAL_SHORT)
    const contact = ia && reader.string(ia, 'contact', path, OPTIONAL_SHORT)
    if (name !== undefined) {
      investigatingAuthority = {
        name,
        ...(reference !== undefined && { reference }),
        ...(contact !== undefined && { contact }),
      }
    }
  }
  let handling: HandlingConditions | undefined
  if (reader.present(f, 'handling')) {
    const path = 'handling'
    const h = reader.object(f.handling, path, ['confidentiality', 'doNotNotifySubscriber', 'instructions'])
    const confidentiality = h && reader.oneOf(h, 'confidentiality', path, CONFIDENTIALITY_LEVELS, true)
    const doNotNotifySubscriber = h && reader.boolean(h, 'doNotNotifySubscriber', path, true)
    const instructions = h && reader.string(h, 'instructions', path, OPTIONAL_TEXT)
    if (confidentiality !== undefined && doNotNotifySubscriber !== undefined) {
      handling = {
        confidentiality,
        doNotNotifySubscriber,
        ...(instructions !== undefined && { instructions }),
      }
    }
  }
  const attachments = readAttachments(reader, f, '')
  const relatedCases = reader.list(f, 'relatedCases', '', { min: 0, max: 50 }, (v, p) =>
    readRelatedCase(reader, v, p),
  )
  if (
    issuedAt === undefined ||
    caseReference === undefined ||
    urgency === undefined ||
    language === undefined ||
    requestingAuthority === undefined ||
    attachments === undefined ||
    relatedCases === undefined
  ) {
    return undefined
  }
  return {
    issuedAt,
    caseReference,
    urgency,
    language,
    requestingAuthority,
    ...(requestedAuthority !== undefined && { requestedAuthority }),
    ...(confirmationContact !== undefined && { confirmationContact }),
    ...(investigatingAuthority !== undefined && { investigatingAuthority }),
    ...(handling !== undefined && { handling }),
    attachments,
    relatedCases,
  }
}

function readPreservation(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): PreservationRequest | undefined {
  const requestKind = reader.oneOf(f, 'requestKind', '', ['new', 'extension'] as const, true)
  const extensionOf = reader.string(f, 'extensionOf', '', OPTIONAL_SHORT)
  if (requestKind === 'extension' && extensionOf === undefined && !reader.reported('extensionOf')) {
    reader.report(
      'extensionOf',
      'required',
      'is required for an extension: give the reference of the earlier request',
    )
  }
  if (requestKind === 'new' && extensionOf !== undefined) {
    reader.report(
      'extensionOf',
      'consistency',
      "is only for extensions; set requestKind to 'extension' or remove it",
    )
  }
  const offence = readOffence(reader, f.offence, 'offence', false)
  const facts = reader.string(f, 'facts', '', TEXT)
  const data = reader.object(f.data, 'data', ['description', 'relationToOffence', 'identifiers'])
  const dataDescription = data && reader.string(data, 'description', 'data', TEXT)
  const relationToOffence = data && reader.string(data, 'relationToOffence', 'data', TEXT)
  const identifiers = data && readIdentifiers(reader, data, 'data', 1)
  const c = reader.object(f.custodian, 'custodian', ['provider', 'location', 'country'])
  const provider = c && reader.string(c, 'provider', 'custodian', OPTIONAL_SHORT)
  const location = c && reader.string(c, 'location', 'custodian', OPTIONAL_TEXT)
  const country = c && readFormatted(reader, c, 'country', 'custodian', false, checkCountry)
  if (
    c !== undefined &&
    provider === undefined &&
    location === undefined &&
    !reader.reported('custodian.provider') &&
    !reader.reported('custodian.location')
  ) {
    reader.report(
      'custodian.provider',
      'required',
      'name the provider holding the data, or give custodian.location (Art. 29(2)(d))',
    )
  }
  const necessity = reader.string(f, 'necessity', '', TEXT)
  const m = reader.object(f.mlaIntent, 'mlaIntent', ['intendsToSubmit', 'expectedBy', 'note'])
  const intends = m && reader.boolean(m, 'intendsToSubmit', 'mlaIntent', true)
  if (intends === false) {
    reader.report(
      'mlaIntent.intendsToSubmit',
      'must-be-true',
      'must be true: Art. 29(2)(f) only allows preservation when an MLA request will follow',
    )
  }
  const expectedBy = m && readTimestamp(reader, m, 'expectedBy', 'mlaIntent', false)
  const note = m && reader.string(m, 'note', 'mlaIntent', OPTIONAL_TEXT)
  if (
    common === undefined ||
    requestKind === undefined ||
    (requestKind === 'extension' && extensionOf === undefined) ||
    (requestKind === 'new' && extensionOf !== undefined) ||
    offence === undefined ||
    facts === undefined ||
    dataDescription === undefined ||
    relationToOffence === undefined ||
    identifiers === undefined ||
    c === undefined ||
    (provider === undefined && location === undefined) ||
    necessity === undefined ||
    intends !== true
  ) {
    return undefined
  }
  return {
    schema: SCHEMAS.preservation,
    ...common,
    requestKind,
    ...(extensionOf !== undefined && { extensionOf }),
    offence,
    facts,
    data: { description: dataDescription, relationToOffence, identifiers },
    custodian: {
      ...(provider !== undefined && { provider }),
      ...(location !== undefined && { location }),
      ...(country !== undefined && { country }),
    },
    necessity,
    mlaIntent: {
      intendsToSubmit: true,
      ...(expectedBy !== undefined && { expectedBy }),
      ...(note !== undefined && { note }),
    },
  }
}

function readTrafficData(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): TrafficDataDisclosureRequest | undefined {
  const preservationReference = reader.string(f, 'preservationReference', '', SHORT)
  const offence = readOffence(reader, f.offence, 'offence', false)
  const facts = reader.string(f, 'facts', '', TEXT)
  const identifiers = readIdentifiers(reader, f, '', 1)
  const purpose = reader.string(f, 'purpose', '', OPTIONAL_TEXT)
  if (
    common === undefined ||
    preservationReference === undefined ||
    offence === undefined ||
    facts === undefined ||
    identifiers === undefined
  ) {
    return undefined
  }
  return {
    schema: SCHEMAS['traffic-data-disclosure'],
    ...common,
    preservationReference,
    offence,
    facts,
    identifiers,
    ...(purpose !== undefined && { purpose }),
  }
}

function readEmergency(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): EmergencyDisclosureRequest | undefined {
  const statement = reader.boolean(f, 'underSecondProtocol', '', true)
  if (statement === false) {
    reader.report(
      'underSecondProtocol',
      'must-be-true',
      'must be true: Second Protocol Art. 9(3)(b) requires the statement that the request is issued under it',
    )
  }
  if (common !== undefined && common.urgency !== 'emergency') {
    reader.report('urgency', 'consistency', "must be 'emergency' for an emergency disclosure request")
  }
  const providers = reader.list(f, 'providers', '', { min: 1, max: 20 }, (v, p) => {
    const pf = reader.object(v, p, ['name', 'address'])
    const name = pf && reader.string(pf, 'name', p, SHORT)
    const address = pf && reader.string(pf, 'address', p, { required: true, max: 1000 })
    return name === undefined || address === undefined ? undefined : { name, address }
  })
  const offence = readOffence(reader, f.offence, 'offence', true)
  const e = reader.object(f.emergency, 'emergency', ['facts', 'dataRelation'])
  const emergencyFacts = e && reader.string(e, 'facts', 'emergency', TEXT)
  const dataRelation = e && reader.string(e, 'dataRelation', 'emergency', TEXT)
  const d = reader.object(f.data, 'data', ['description', 'identifiers'])
  const description = d && reader.string(d, 'description', 'data', TEXT)
  const identifiers = d && readIdentifiers(reader, d, 'data', 0)
  const proceduralInstructions = reader.string(f, 'proceduralInstructions', '', OPTIONAL_TEXT)
  const otherInformation = reader.string(f, 'otherInformation', '', OPTIONAL_TEXT)
  if (
    common === undefined ||
    common.urgency !== 'emergency' ||
    statement !== true ||
    providers === undefined ||
    offence?.legalProvisions === undefined ||
    offence.penalties === undefined ||
    emergencyFacts === undefined ||
    dataRelation === undefined ||
    description === undefined ||
    identifiers === undefined
  ) {
    return undefined
  }
  return {
    schema: SCHEMAS['emergency-disclosure'],
    ...common,
    underSecondProtocol: true,
    providers,
    offence: { ...offence, legalProvisions: offence.legalProvisions, penalties: offence.penalties },
    emergency: { facts: emergencyFacts, dataRelation },
    data: { description, identifiers },
    ...(proceduralInstructions !== undefined && { proceduralInstructions }),
    ...(otherInformation !== undefined && { otherInformation }),
  }
}

function readTechnicalAdvice(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): TechnicalAdviceRequest | undefined {
  const topic = reader.string(f, 'topic', '', SHORT)
  const question = reader.string(f, 'question', '', TEXT)
  const identifiers = readIdentifiers(reader, f, '', 0)
  if (common === undefined || topic === undefined || question === undefined || identifiers === undefined)
    return undefined
  return { schema: SCHEMAS['technical-advice'], ...common, topic, question, identifiers }
}

function readEvidence(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): EvidenceCollectionRequest | undefined {
  const offence = readOffence(reader, f.offence, 'offence', false)
  const facts = reader.string(f, 'facts', '', TEXT)
  const e = reader.object(f.evidence, 'evidence', ['description', 'identifiers'])
  const description = e && reader.string(e, 'description', 'evidence', TEXT)
  const identifiers = e && readIdentifiers(reader, e, 'evidence', 0)
  const legalBasis = reader.string(f, 'legalBasis', '', OPTIONAL_TEXT)
  if (
    common === undefined ||
    offence === undefined ||
    facts === undefined ||
    description === undefined ||
    identifiers === undefined
  ) {
    return undefined
  }
  return {
    schema: SCHEMAS['evidence-collection'],
    ...common,
    offence,
    facts,
    evidence: { description, identifiers },
    ...(legalBasis !== undefined && { legalBasis }),
  }
}

function readLegalInformation(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): LegalInformationRequest | undefined {
  const topic = reader.string(f, 'topic', '', SHORT)
  const question = reader.string(f, 'question', '', TEXT)
  if (common === undefined || topic === undefined || question === undefined) return undefined
  return { schema: SCHEMAS['legal-information'], ...common, topic, question }
}

function readLocateSuspect(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): LocateSuspectRequest | undefined {
  const offence = readOffence(reader, f.offence, 'offence', false)
  const facts = reader.string(f, 'facts', '', TEXT)
  const path = 'suspect'
  const s = reader.object(f.suspect, path, [
    'name',
    'aliases',
    'dateOfBirth',
    'nationality',
    'lastKnownLocation',
    'identifiers',
  ])
  const name = s && reader.string(s, 'name', path, OPTIONAL_SHORT)
  const aliases =
    s &&
    reader.list(s, 'aliases', path, { min: 0, max: 50 }, (v, p) =>
      typeof v === 'string' && v.trim() !== '' ? v.trim() : reader.report(p, 'type', 'must be a name (text)'),
    )
  let dateOfBirth: string | undefined
  if (s !== undefined && reader.present(s, 'dateOfBirth')) {
    const text = reader.string(s, 'dateOfBirth', path, SHORT)
    const valid = text !== undefined && isCalendarDate(text)
    if (text !== undefined && !valid) {
      reader.report('suspect.dateOfBirth', 'format', `'${text}' is not a date; write it like 1990-04-23`)
    } else dateOfBirth = text
  }
  const nationality = s && readFormatted(reader, s, 'nationality', path, false, checkCountry)
  const lastKnownLocation = s && reader.string(s, 'lastKnownLocation', path, OPTIONAL_TEXT)
  const identifiers = s && readIdentifiers(reader, s, path, 0)
  if (
    s !== undefined &&
    name === undefined &&
    (identifiers === undefined || identifiers.length === 0) &&
    !reader.reported('suspect.name') &&
    !reader.reported('suspect.identifiers')
  ) {
    reader.report(
      'suspect.name',
      'required',
      'give the suspect’s name or at least one identifier to search for',
    )
  }
  if (
    common === undefined ||
    offence === undefined ||
    facts === undefined ||
    aliases === undefined ||
    identifiers === undefined ||
    (name === undefined && identifiers.length === 0)
  ) {
    return undefined
  }
  return {
    schema: SCHEMAS['locate-suspect'],
    ...common,
    offence,
    facts,
    suspect: {
      ...(name !== undefined && { name }),
      aliases,
      ...(dateOfBirth !== undefined && { dateOfBirth }),
      ...(nationality !== undefined && { nationality }),
      ...(lastKnownLocation !== undefined && { lastKnownLocation }),
      identifiers,
    },
  }
}

/**
 * Checks a request form (parsed YAML or JSON, or a decoded message) and returns the typed request
 * or every problem found in one pass. Never throws on bad input.
 */
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
}

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
