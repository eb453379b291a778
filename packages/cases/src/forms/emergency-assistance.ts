import { SCHEMAS } from '../constants.ts'
import { type Identifier, readTimestamp } from '../identifiers.ts'
import type { FormReader } from '../problems.ts'
import {
  type CommonFields,
  type Fields,
  type Offence,
  OPTIONAL_SHORT,
  OPTIONAL_TEXT,
  readIdentifiers,
  readOffence,
  SHORT,
  TEXT,
} from './common.ts'

/**
 * Second Additional Protocol Art. 10: emergency mutual assistance, sent to the requested Party's
 * 24/7 point of contact where it declared so under Art. 10(9).
 */
export interface EmergencyAssistanceRequest extends CommonFields {
  readonly schema: (typeof SCHEMAS)['emergency-assistance']
  /** The offence, its legal provisions and penalties, as any mutual assistance request states them. */
  readonly offence: Offence & { readonly legalProvisions: string; readonly penalties: string }
  /** A summary of the facts of the investigation. */
  readonly facts: string
  /** Art. 10(1): the facts showing there is an emergency, and how the assistance sought relates to it. */
  readonly emergency: { readonly facts: string; readonly assistanceRelation: string }
  /** The measures of assistance sought, and the identifiers they bear on. */
  readonly assistance: { readonly description: string; readonly identifiers: readonly Identifier[] }
  /**
   * Art. 10(9): a copy goes at the same time to the requested Party's central authority, through
   * the requesting Party's central authority.
   */
  readonly centralAuthorityCopy: {
    readonly authority: string
    readonly sentAt?: string
    readonly reference?: string
  }
  /** Art. 10(6): how the results (or an advance copy) may come back, when another channel is agreed. */
  readonly resultsChannel?: string
}

export function readEmergencyAssistance(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): EmergencyAssistanceRequest | undefined {
  if (common !== undefined && common.urgency !== 'emergency') {
    reader.report(
      'urgency',
      'consistency',
      "must be 'emergency': Second Protocol Art. 10 is for requests made in an emergency",
    )
  }
  const offence = readOffence(reader, f.offence, 'offence', true)
  const facts = reader.string(f, 'facts', '', TEXT)
  const e = reader.object(f.emergency, 'emergency', ['facts', 'assistanceRelation'])
  const emergencyFacts = e && reader.string(e, 'facts', 'emergency', TEXT)
  const assistanceRelation = e && reader.string(e, 'assistanceRelation', 'emergency', TEXT)
  const a = reader.object(f.assistance, 'assistance', ['description', 'identifiers'])
  const description = a && reader.string(a, 'description', 'assistance', TEXT)
  const identifiers = a && readIdentifiers(reader, a, 'assistance', 0)
  const copyPath = 'centralAuthorityCopy'
  const c = reader.object(f.centralAuthorityCopy, copyPath, ['authority', 'sentAt', 'reference'])
  const authority = c && reader.string(c, 'authority', copyPath, SHORT)
  const sentAt = c && readTimestamp(reader, c, 'sentAt', copyPath, false)
  const reference = c && reader.string(c, 'reference', copyPath, OPTIONAL_SHORT)
  const resultsChannel = reader.string(f, 'resultsChannel', '', OPTIONAL_TEXT)
  if (
    common === undefined ||
    common.urgency !== 'emergency' ||
    offence?.legalProvisions === undefined ||
    offence.penalties === undefined ||
    facts === undefined ||
    emergencyFacts === undefined ||
    assistanceRelation === undefined ||
    description === undefined ||
    identifiers === undefined ||
    authority === undefined
  ) {
    return undefined
  }
  return {
    schema: SCHEMAS['emergency-assistance'],
    ...common,
    offence: { ...offence, legalProvisions: offence.legalProvisions, penalties: offence.penalties },
    facts,
    emergency: { facts: emergencyFacts, assistanceRelation },
    assistance: { description, identifiers },
    centralAuthorityCopy: {
      authority,
      ...(sentAt !== undefined && { sentAt }),
      ...(reference !== undefined && { reference }),
    },
    ...(resultsChannel !== undefined && { resultsChannel }),
  }
}
