import { type Attachment, readAttachments } from './attachments.ts'
import {
  MAX_GRANTED_DAYS,
  PRESERVATION_LIMITS,
  type PreservationLimit,
  REFUSAL_GROUNDS,
  type RefusalGround,
} from './constants.ts'
import {
  ENDING_EVENT_KINDS,
  ENDING_PAYLOAD_FIELDS,
  type EndingEventKind,
  type EndingPayload,
  readEndingPayload,
} from './events-endings.ts'
import { checkCountry, checkTimestamp } from './formats.ts'
import { type Identifier, readFormatted, readIdentifier } from './identifiers.ts'
import { describeValue, FormReader, type Problem, type Validation } from './problems.ts'

export const SIDES = ['requester', 'requested'] as const
/** Which end of a case sent a message: the country that asked, or the country asked. */
export type Side = (typeof SIDES)[number]

export const EVENT_KINDS = [
  'delivered',
  'acknowledged',
  'in-progress',
  'information-requested',
  'information-provided',
  'limitation-notified',
  'proceed-confirmed',
  'preserved',
  'partially-disclosed',
  'answered',
  'refused',
  'extension-requested',
  'extension-granted',
  'extension-refused',
  'mla-submitted',
  'withdrawn',
  'closed',
  ...ENDING_EVENT_KINDS,
] as const
export type CaseEventKind = (typeof EVENT_KINDS)[number]

interface EventBase {
  /** The message id; unique within the case, and the key a retried delivery is deduplicated on. */
  readonly id: string
  /**
   * Lamport counter: one more than the highest `seq` the sender had applied to the case (the opening
   * request counts as 0). Causally later messages always carry a higher value, which is what lets both
   * sides replay the same messages into the same order.
   */
  readonly seq: number
  /** When the sender's node recorded the event, UTC. */
  readonly at: string
  readonly side: Side
}

/** The Art. 30 disclosure of a provider in a third country, enough to send it a new preservation request. */
export interface ThirdCountryDisclosure {
  readonly thirdCountry: string
  readonly thirdCountryProvider: string
  /** The disclosed traffic data, summarised: the path and what links it to the third-country provider. */
  readonly trafficData: string
  readonly identifiers: readonly Identifier[]
}

type Payload =
  | { readonly kind: 'delivered' }
  /** A person at the requested PoC has seen the request; their name is what the requester needs. */
  | { readonly kind: 'acknowledged'; readonly by: string; readonly role?: string }
  | { readonly kind: 'in-progress'; readonly note?: string }
  | { readonly kind: 'information-requested'; readonly questions: string }
  | { readonly kind: 'information-provided'; readonly answer: string }
  /** Art. 29(6) notice: preservation will not ensure availability, or will threaten confidentiality. */
  | { readonly kind: 'limitation-notified'; readonly limit: PreservationLimit; readonly details: string }
  /** The requester's decision under Art. 29(6) to have the request executed anyway. */
  | { readonly kind: 'proceed-confirmed'; readonly note?: string }
  | {
      readonly kind: 'preserved'
      readonly providerReference: string
      /** The period actually granted under the requested Party's law; 29(7) sets only a 60-day minimum. */
      readonly grantedDays: number
      readonly expiresAt: string
      /** The custodian's name; with the fields below, optional so that events recorded before them replay. */
      readonly provider?: string
      readonly dataCategory?: string
      /** The time range of the preserved data (not of the preservation). */
      readonly dataFrom?: string
      readonly dataTo?: string
    }
  | ({
      readonly kind: 'partially-disclosed'
      /** The disclosed data itself, when it travels with the disclosure (absent: none). */
      readonly attachments?: readonly Attachment[]
    } & ThirdCountryDisclosure)
  | { readonly kind: 'answered'; readonly summary: string; readonly attachments: readonly Attachment[] }
  | { readonly kind: 'refused'; readonly ground: RefusalGround; readonly explanation: string }
  /** `providerReference` names the custodian; without it, the only one still preserved. */
  | {
      readonly kind: 'extension-requested'
      readonly reason: string
      readonly days?: number
      readonly providerReference?: string
    }
  | { readonly kind: 'extension-granted'; readonly grantedDays: number; readonly expiresAt: string }
  | { readonly kind: 'extension-refused'; readonly reason: string }
  | { readonly kind: 'mla-submitted'; readonly mlaReference: string; readonly authority?: string }
  | { readonly kind: 'withdrawn'; readonly reason: string }
  | { readonly kind: 'closed'; readonly reason: string }
  | EndingPayload

/** One signed case message after decoding: who sent it, when, and the data its kind requires. */
export type CaseEvent = EventBase & Payload
export type CaseEventOf<K extends CaseEventKind> = Extract<CaseEvent, { kind: K }>

const BASE = ['id', 'seq', 'at', 'side', 'kind']
/** The fields each kind of event carries besides the base ones (what a client sets). */
export const PAYLOAD_FIELDS: Record<CaseEventKind, readonly string[]> = {
  delivered: [],
  acknowledged: ['by', 'role'],
  'in-progress': ['note'],
  'information-requested': ['questions'],
  'information-provided': ['answer'],
  'limitation-notified': ['limit', 'details'],
  'proceed-confirmed': ['note'],
  preserved: [
    'providerReference',
    'grantedDays',
    'expiresAt',
    'provider',
    'dataCategory',
    'dataFrom',
    'dataTo',
  ],
  'partially-disclosed': [
    'thirdCountry',
    'thirdCountryProvider',
    'trafficData',
    'identifiers',
    'attachments',
  ],
  answered: ['summary', 'attachments'],
  refused: ['ground', 'explanation'],
  'extension-requested': ['reason', 'days', 'providerReference'],
  'extension-granted': ['grantedDays', 'expiresAt'],
  'extension-refused': ['reason'],
  'mla-submitted': ['mlaReference', 'authority'],
  withdrawn: ['reason'],
  closed: ['reason'],
  ...ENDING_PAYLOAD_FIELDS,
}

const DAY_MS = 86_400_000
const REQUIRED = { required: true, max: 10_000 } as const
const OPTIONAL = { required: false, max: 10_000 } as const
const NAME = { required: true, max: 300 } as const

type Fields = Record<string, unknown>

function readUtc(reader: FormReader, f: Fields, key: string): string | undefined {
  return readFormatted(reader, f, key, '', true, checkTimestamp)?.utc
}

/**
 * Checks that an expiry fits the days granted counted from `from` (the event, or the expiry an
 * extension prolongs), within a day either way for national rules that count whole days: the
 * alerts follow `expiresAt`, so it must say the same as `grantedDays`.
 */
export function expiryProblem(from: string, expiresAt: string, days: number): Problem | undefined {
  const span = Date.parse(expiresAt) - Date.parse(from)
  if (span <= 0)
    return { path: 'expiresAt', rule: 'consistency', message: `${expiresAt} is not after ${from}` }
  if (span > (days + 1) * DAY_MS) {
    const message = `${expiresAt} is ${Math.floor(span / DAY_MS)} days after ${from}, but only ${days} days were granted`
    return { path: 'expiresAt', rule: 'consistency', message }
  }
  if (span < (days - 1) * DAY_MS) {
    const message = `${expiresAt} is only ${(span / DAY_MS).toFixed(1)} days after ${from}, but ${days} days were granted`
    return { path: 'expiresAt', rule: 'consistency', message }
  }
  return undefined
}

function readPayload(
  reader: FormReader,
  kind: CaseEventKind,
  f: Fields,
  at: string | undefined,
): Payload | undefined {
  const text = (key: string, options: { required: boolean; max: number } = REQUIRED) =>
    reader.string(f, key, '', options)
  const days = () => reader.integer(f, 'grantedDays', '', { required: true, min: 1, max: MAX_GRANTED_DAYS })
  switch (kind) {
    case 'delivered':
      return { kind }
    case 'acknowledged': {
      const by = text('by', NAME)
      const role = text('role', { required: false, max: 300 })
      return by === undefined ? undefined : { kind, by, ...(role !== undefined && { role }) }
    }
    case 'in-progress':
    case 'proceed-confirmed': {
      const note = text('note', OPTIONAL)
      return { kind, ...(note !== undefined && { note }) }
    }
    case 'information-requested': {
      const questions = text('questions')
      return questions === undefined ? undefined : { kind, questions }
    }
    case 'information-provided': {
      const answer = text('answer')
      return answer === undefined ? undefined : { kind, answer }
    }
    case 'limitation-notified': {
      const limit = reader.oneOf(f, 'limit', '', PRESERVATION_LIMITS, true)
      const details = text('details')
      return limit === undefined || details === undefined ? undefined : { kind, limit, details }
    }
    case 'preserved': {
      const providerReference = text('providerReference', NAME)
      const grantedDays = days()
      const expiresAt = readUtc(reader, f, 'expiresAt')
      const problem =
        at === undefined || expiresAt === undefined || grantedDays === undefined
          ? undefined
          : expiryProblem(at, expiresAt, grantedDays)
      if (problem !== undefined) reader.problems.push(problem)
      const custodian = readCustodianFields(reader, f)
      if (providerReference === undefined || grantedDays === undefined || expiresAt === undefined)
        return undefined
      return { kind, providerReference, grantedDays, expiresAt, ...custodian }
    }
    case 'partially-disclosed': {
      const thirdCountry = readFormatted(reader, f, 'thirdCountry', '', true, checkCountry)
      const thirdCountryProvider = text('thirdCountryProvider', NAME)
      const trafficData = text('trafficData')
      // At least one identifier: without it the follow-up request to the third country has nothing to preserve.
      const identifiers = reader.list(f, 'identifiers', '', { min: 1, max: 500 }, (v, p) =>
        readIdentifier(reader, v, p),
      )
      if (
        thirdCountry === undefined ||
        thirdCountryProvider === undefined ||
        trafficData === undefined ||
        identifiers === undefined
      ) {
        return undefined
      }
      const attachments = readAttachments(reader, f, '')
      return {
        kind,
        thirdCountry,
        thirdCountryProvider,
        trafficData,
        identifiers,
        ...(attachments !== undefined && attachments.length > 0 && { attachments }),
      }
    }
    case 'answered': {
      const summary = text('summary')
      const attachments = readAttachments(reader, f, '')
      return summary === undefined || attachments === undefined ? undefined : { kind, summary, attachments }
    }
    case 'refused': {
      const ground = reader.oneOf(f, 'ground', '', REFUSAL_GROUNDS, true)
      const explanation = text('explanation')
      return ground === undefined || explanation === undefined ? undefined : { kind, ground, explanation }
    }
    case 'extension-requested': {
      const reason = text('reason')
      const requestedDays = reader.integer(f, 'days', '', { required: false, min: 1, max: MAX_GRANTED_DAYS })
      const providerReference = text('providerReference', { required: false, max: 300 })
      return reason === undefined
        ? undefined
        : {
            kind,
            reason,
            ...(requestedDays !== undefined && { days: requestedDays }),
            ...(providerReference !== undefined && { providerReference }),
          }
    }
    case 'extension-granted': {
      // Counted from the expiry it extends, which only the case knows: applyEvent checks it.
      const grantedDays = days()
      const expiresAt = readUtc(reader, f, 'expiresAt')
      return grantedDays === undefined || expiresAt === undefined
        ? undefined
        : { kind, grantedDays, expiresAt }
    }
    case 'extension-refused':
    case 'withdrawn':
    case 'closed': {
      const reason = text('reason')
      return reason === undefined ? undefined : { kind, reason }
    }
    case 'mla-submitted': {
      const mlaReference = text('mlaReference', NAME)
      const authority = text('authority', { required: false, max: 300 })
      return mlaReference === undefined
        ? undefined
        : { kind, mlaReference, ...(authority !== undefined && { authority }) }
    }
    default:
      return readEndingPayload(reader, kind satisfies EndingEventKind, f)
  }
}

/** The custodian's details a `preserved` event may carry; the data's time range must run forwards. */
function readCustodianFields(
  reader: FormReader,
  f: Fields,
): { provider?: string; dataCategory?: string; dataFrom?: string; dataTo?: string } {
  const provider = reader.string(f, 'provider', '', { required: false, max: 300 })
  const dataCategory = reader.string(f, 'dataCategory', '', { required: false, max: 300 })
  const dataFrom = readFormatted(reader, f, 'dataFrom', '', false, checkTimestamp)?.utc
  const dataTo = readFormatted(reader, f, 'dataTo', '', false, checkTimestamp)?.utc
  if (dataFrom !== undefined && dataTo !== undefined && Date.parse(dataFrom) > Date.parse(dataTo))
    reader.report('dataTo', 'consistency', `${dataTo} is before dataFrom ${dataFrom}`)
  return {
    ...(provider !== undefined && { provider }),
    ...(dataCategory !== undefined && { dataCategory }),
    ...(dataFrom !== undefined && { dataFrom }),
    ...(dataTo !== undefined && { dataTo }),
  }
}

/**
 * Checks a decoded case message and returns the typed event or every problem found; times are
 * normalised to UTC. Never throws on bad input.
 */
export function validateEvent(input: unknown): Validation<CaseEvent> {
  const reader = new FormReader()
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    reader.report('', 'type', `a case event must be a group of fields, not ${describeValue(input)}`)
    return { ok: false, problems: reader.problems }
  }
  const kind = reader.oneOf(input as Fields, 'kind', '', EVENT_KINDS, true)
  const f = reader.object(input, '', kind === undefined ? BASE : [...BASE, ...PAYLOAD_FIELDS[kind]])!
  const id = reader.string(f, 'id', '', { required: true, max: 200 })
  const seq = reader.integer(f, 'seq', '', { required: true, min: 1, max: Number.MAX_SAFE_INTEGER })
  const at = readUtc(reader, f, 'at')
  const side = reader.oneOf(f, 'side', '', SIDES, true)
  const payload = kind === undefined ? undefined : readPayload(reader, kind, f, at)
  if (
    reader.problems.length > 0 ||
    payload === undefined ||
    id === undefined ||
    seq === undefined ||
    at === undefined ||
    side === undefined
  ) {
    return { ok: false, problems: reader.problems }
  }
  return { ok: true, value: { id, seq, at, side, ...payload } }
}
