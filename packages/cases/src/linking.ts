import type { Case } from './case.ts'
import { conditionsPending, dataUsable } from './conditions.ts'
import { SCHEMAS } from './constants.ts'
import { CasesError, InvalidRequestError } from './errors.ts'
import type { CaseEventOf } from './events.ts'
import { checkTimestamp } from './formats.ts'
import { MAX_TEXT_LENGTH, type PreservationRequest, validateRequest } from './requests.ts'

/** A pre-filled request to a new country, ready for the PoC to review and send. */
export interface FollowUp {
  /** The country the new request goes to. */
  readonly requested: string
  readonly request: PreservationRequest
}

/**
 * Builds the Art. 30 follow-up: a preservation request to the third country the requested Party
 * named, pre-filled from the first case and its disclosure, and linked back to that case. Throws
 * a `CasesError` if the event is not a partial disclosure recorded in this case.
 */
export function followUpPreservation(
  c: Case,
  event: CaseEventOf<'partially-disclosed'>,
  issuedAt: string,
): FollowUp {
  if (!c.history.some((e) => e.id === event.id && e.kind === 'partially-disclosed')) {
    throw new CasesError(
      'ERR_NOT_IN_CASE',
      `event ${event.id} is not a partial disclosure recorded in case ${c.id}`,
    )
  }
  // the follow-up is built on the disclosed data: it may be used only once its conditions are accepted
  if (!dataUsable(c)) {
    const state = conditionsPending(c) ? 'await your answer' : 'were declined'
    throw new CasesError(
      'ERR_CONDITIONS_PENDING',
      `the conditions on use of case ${c.id} ${state}, so its data may not be used for a follow-up; ` +
        `the requester accepts them with \`pocnet case accept-conditions ${c.id}\``,
    )
  }
  const conditionsOnUse = c.conditions?.conditions ?? []
  const issued = checkTimestamp(issuedAt)
  if (!issued.ok) throw new CasesError('ERR_INVALID_TIME', `issuedAt: ${issued.reason}`)
  const first = c.request
  // Only these two types admit a partial disclosure (see TRANSITIONS); the check narrows the type.
  if (first.schema !== SCHEMAS.preservation && first.schema !== SCHEMAS['traffic-data-disclosure']) {
    throw new CasesError(
      'ERR_NOT_IN_CASE',
      `case ${c.id} is a ${c.type} request, which has no Art. 30 disclosure`,
    )
  }
  const necessity =
    first.schema === SCHEMAS.preservation
      ? first.necessity
      : 'The data may be deleted in the ordinary course of business before an MLA request can be executed.'
  const request: PreservationRequest = {
    schema: SCHEMAS.preservation,
    issuedAt: issued.value.text,
    caseReference: first.caseReference,
    urgency: first.urgency,
    language: first.language,
    requestingAuthority: first.requestingAuthority,
    ...(first.confirmationContact !== undefined && { confirmationContact: first.confirmationContact }),
    ...(first.investigatingAuthority !== undefined && {
      investigatingAuthority: first.investigatingAuthority,
    }),
    ...(first.handling !== undefined && { handling: first.handling }),
    attachments: [],
    relatedCases: [
      {
        relation: 'follow-up-of',
        reference: first.caseReference,
        caseId: c.id,
        ...(conditionsOnUse.length > 0 && { conditionsOnUse }),
      },
    ],
    requestKind: 'new',
    offence: first.offence,
    facts: followUpFacts(first.facts, c, event),
    data: {
      description: `Traffic data and subscriber information held by ${event.thirdCountryProvider} for the identifiers below.`,
      relationToOffence: `The communication under investigation passed through ${event.thirdCountryProvider}.`,
      identifiers: event.identifiers,
    },
    custodian: { provider: event.thirdCountryProvider, country: event.thirdCountry },
    necessity,
    mlaIntent: { intendsToSubmit: true },
  }
  // The draft must be a valid request as built; a failure here is a bug in this function, not user input.
  const checked = validateRequest(request)
  if (!checked.ok) throw new InvalidRequestError(checked.problems)
  return { requested: event.thirdCountry, request }
}

/**
 * The first request's facts, then what the Art. 30 disclosure said. Both may be long: the first
 * facts give way (shortened, saying where the rest is), never the disclosure, which is why the
 * third country is asked at all.
 */
function followUpFacts(
  firstFacts: string,
  c: Case,
  event: { thirdCountryProvider: string; thirdCountry: string; trafficData: string },
): string {
  const disclosure =
    `Under Art. 30, ${c.requested} disclosed (case ${c.id}) that ${event.thirdCountryProvider} ` +
    `in ${event.thirdCountry} took part in the communication: ${event.trafficData}`
  const whole = `${firstFacts}\n\n${disclosure}`
  if (whole.length <= MAX_TEXT_LENGTH) return whole
  const note = ` […] (shortened: the full facts are in case ${c.id})`
  const room = Math.max(0, MAX_TEXT_LENGTH - disclosure.length - note.length - 2)
  return `${firstFacts.slice(0, room)}${note}\n\n${disclosure}`.slice(0, MAX_TEXT_LENGTH)
}
