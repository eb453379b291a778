import { SCHEMAS } from '../constants.ts'
import { checkCountry } from '../formats.ts'
import { type Identifier, readFormatted, readTimestamp } from '../identifiers.ts'
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

export function readPreservation(
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

export function readTrafficData(
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
