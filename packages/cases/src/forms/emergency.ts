import { SCHEMAS } from '../constants.ts'
import type { Identifier } from '../identifiers.ts'
import type { FormReader } from '../problems.ts'
import {
  type CommonFields,
  type Fields,
  type Offence,
  OPTIONAL_TEXT,
  readIdentifiers,
  readOffence,
  SHORT,
  TEXT,
} from './common.ts'

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

export function readEmergency(
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
