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
  TEXT,
} from './common.ts'

/**
 * Convention Art. 26: information obtained in a Party's own investigation, offered without a prior
 * request because it may help the receiving Party start or carry out an investigation, or lead it
 * to make a request. Nothing is asked: the receiving side takes note (docs/cases.md).
 */
export interface SpontaneousInformation extends CommonFields {
  readonly schema: (typeof SCHEMAS)['spontaneous-information']
  /** The offence the information concerns. */
  readonly offence: Offence
  /** The information itself, and the identifiers it names. */
  readonly information: { readonly summary: string; readonly identifiers: readonly Identifier[] }
  /** Art. 26(2): kept confidential, or used only under conditions; the receiver says if it cannot comply. */
  readonly conditions?: { readonly confidential: boolean; readonly conditionsOfUse?: string }
}

export function readSpontaneous(
  reader: FormReader,
  f: Fields,
  common: CommonFields | undefined,
): SpontaneousInformation | undefined {
  const offence = readOffence(reader, f.offence, 'offence', false)
  const i = reader.object(f.information, 'information', ['summary', 'identifiers'])
  const summary = i && reader.string(i, 'summary', 'information', TEXT)
  const identifiers = i && readIdentifiers(reader, i, 'information', 0)
  let conditions: SpontaneousInformation['conditions']
  if (reader.present(f, 'conditions')) {
    const c = reader.object(f.conditions, 'conditions', ['confidential', 'conditionsOfUse'])
    const confidential = c && reader.boolean(c, 'confidential', 'conditions', true)
    const conditionsOfUse = c && reader.string(c, 'conditionsOfUse', 'conditions', OPTIONAL_TEXT)
    if (confidential !== undefined)
      conditions = { confidential, ...(conditionsOfUse !== undefined && { conditionsOfUse }) }
  }
  if (common === undefined || offence === undefined || summary === undefined || identifiers === undefined)
    return undefined
  return {
    schema: SCHEMAS['spontaneous-information'],
    ...common,
    offence,
    information: { summary, identifiers },
    ...(conditions !== undefined && { conditions }),
  }
}
