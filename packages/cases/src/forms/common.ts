import { type Attachment, readAttachments } from '../attachments.ts'
import {
  CONFIDENTIALITY_LEVELS,
  type Confidentiality,
  RESPONSE_CHANNELS,
  type ResponseChannel,
  URGENCIES,
  type Urgency,
} from '../constants.ts'
import { checkEmail, checkLanguage, checkPhone, checkTimeZone } from '../formats.ts'
import { type Identifier, readFormatted, readIdentifier, readTimestamp } from '../identifiers.ts'
import { describeValue, type FormReader, joinPath } from '../problems.ts'
import { type RelatedCase, readRelatedCase } from '../related-cases.ts'

export type { RelatedCase } from '../related-cases.ts'

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

export type { Attachment } from '../attachments.ts'

export interface Offence {
  readonly description: string
  readonly legalProvisions?: string
  readonly penalties?: string
  /** Convention articles (2-11) the offence falls under; Art. 29(4) reads them. */
  readonly conventionArticles?: readonly number[]
}

/** The fields every form shares (T-CY(2018)11 header, SAP Art. 9(3)(a)). */
export interface CommonFields {
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

/** The top-level fields every form may hold. */
export const COMMON_FIELDS = [
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

/** The most characters a request's free text (facts, descriptions, instructions) may hold. */
export const MAX_TEXT_LENGTH = 10_000
export const TEXT = { required: true, max: MAX_TEXT_LENGTH } as const
export const SHORT = { required: true, max: 300 } as const
export const OPTIONAL_TEXT = { required: false, max: MAX_TEXT_LENGTH } as const
export const OPTIONAL_SHORT = { required: false, max: 300 } as const

export type Fields = Record<string, unknown>

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

export function readOffence(reader: FormReader, value: unknown, path: string, legalDetailRequired: boolean) {
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

export function readIdentifiers(
  reader: FormReader,
  f: Fields,
  path: string,
  min: number,
): Identifier[] | undefined {
  return reader.list(f, 'identifiers', path, { min, max: 500 }, (v, p) => readIdentifier(reader, v, p))
}

export function readCommon(reader: FormReader, f: Fields): CommonFields | undefined {
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
