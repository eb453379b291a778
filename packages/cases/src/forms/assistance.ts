import { SCHEMAS } from '../constants.ts'
import { checkCountry, isCalendarDate } from '../formats.ts'
import { type Identifier, readFormatted } from '../identifiers.ts'
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

export function readTechnicalAdvice(
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

export function readEvidence(
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

export function readLegalInformation(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): LegalInformationRequest | undefined {
  const topic = reader.string(f, 'topic', '', SHORT)
  const question = reader.string(f, 'question', '', TEXT)
  if (common === undefined || topic === undefined || question === undefined) return undefined
  return { schema: SCHEMAS['legal-information'], ...common, topic, question }
}

export function readLocateSuspect(
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
