import { LINK_RELATIONS, type LinkRelation } from './constants.ts'
import { readConditions } from './events-endings.ts'
import type { FormReader } from './problems.ts'

export interface RelatedCase {
  readonly relation: LinkRelation
  /** The earlier request's case reference, as both sides know it. */
  readonly reference: string
  /** The earlier pocnet case id, when the earlier request went through pocnet. */
  readonly caseId?: string
  /**
   * Conditions on use the earlier case's data is bound by (SAP Art. 9(7), Art. 28(3)): a follow-up
   * built on that data carries them, so whoever reads it knows.
   */
  readonly conditionsOnUse?: readonly string[]
}

const REFERENCE = { required: true, max: 300 } as const
const CASE_ID = { required: false, max: 300 } as const

/** Reads one entry of a form's `relatedCases`; problems go to `reader`. */
export function readRelatedCase(reader: FormReader, value: unknown, path: string): RelatedCase | undefined {
  const f = reader.object(value, path, ['relation', 'reference', 'caseId', 'conditionsOnUse'])
  if (f === undefined) return undefined
  const relation = reader.oneOf(f, 'relation', path, LINK_RELATIONS, true)
  const reference = reader.string(f, 'reference', path, REFERENCE)
  const caseId = reader.string(f, 'caseId', path, CASE_ID)
  const conditions = readConditions(reader, f, 'conditionsOnUse', path)
  if (relation === undefined || reference === undefined) return undefined
  return {
    relation,
    reference,
    ...(caseId !== undefined && { caseId }),
    ...(conditions !== undefined && conditions.length > 0 && { conditionsOnUse: conditions }),
  }
}
