import { MLA_DECISIONS, type MlaDecision, NOT_EXECUTED_REASONS, type NotExecutedReason } from './endings.ts'
import type { FormReader } from './problems.ts'

/** The event kinds of a case's endings: not executed, release, MLA handover, conditions on use. */
export const ENDING_EVENT_KINDS = [
  'not-executed',
  'released',
  'mla-received',
  'mla-decided',
  'conditions-stated',
  'conditions-accepted',
  'conditions-declined',
] as const
export type EndingEventKind = (typeof ENDING_EVENT_KINDS)[number]

/** Most conditions one statement may set, and the length of each. */
export const MAX_CONDITIONS = 20
export const MAX_CONDITION_LENGTH = 2_000

export type EndingPayload =
  /** Nothing withheld: there was nothing to give (endings.ts says why each reason exists). */
  | { readonly kind: 'not-executed'; readonly reason: NotExecutedReason; readonly explanation: string }
  /** The requester no longer needs one custodian's data preserved, or (no reference) any. */
  | { readonly kind: 'released'; readonly providerReference?: string; readonly reason?: string }
  /**
   * Art. 29(7): the requested Party's central authority received the MLA request; preservation
   * continues from here until the request is decided.
   */
  | {
      readonly kind: 'mla-received'
      readonly authorityReference: string
      readonly mlaReference?: string
    }
  | { readonly kind: 'mla-decided'; readonly decision: MlaDecision; readonly note: string }
  /**
   * Conditions on the use of what the requested side supplies: SAP Art. 9(6) for an emergency
   * disclosure, Convention Art. 28(2) for mutual assistance. An empty list lifts earlier
   * conditions (the requested Party decided to supply the data nevertheless, SAP Art. 9(7)(a),
   * Art. 28(3)).
   */
  | { readonly kind: 'conditions-stated'; readonly conditions: readonly string[]; readonly basis?: string }
  /** SAP Art. 9(7)(a), Art. 28(3): once accepted, the requester is bound by the conditions. */
  | { readonly kind: 'conditions-accepted'; readonly note?: string }
  /** SAP Art. 9(7)(a), Art. 28(3): the requester cannot comply; the requested side decides what now. */
  | { readonly kind: 'conditions-declined'; readonly reason: string }

export const ENDING_PAYLOAD_FIELDS: Record<EndingEventKind, readonly string[]> = {
  'not-executed': ['reason', 'explanation'],
  released: ['providerReference', 'reason'],
  'mla-received': ['authorityReference', 'mlaReference'],
  'mla-decided': ['decision', 'note'],
  'conditions-stated': ['conditions', 'basis'],
  'conditions-accepted': ['note'],
  'conditions-declined': ['reason'],
}

/** A list of conditions on use, each a condition in words; an absent list reads as empty. */
export function readConditions(
  reader: FormReader,
  f: Record<string, unknown>,
  key: string,
  path: string,
): string[] | undefined {
  return reader.list(f, key, path, { min: 0, max: MAX_CONDITIONS }, (v, p) =>
    typeof v === 'string' && v.trim() !== '' && v.trim().length <= MAX_CONDITION_LENGTH
      ? v.trim()
      : reader.report(
          p,
          'format',
          `must be a condition in words, at most ${MAX_CONDITION_LENGTH} characters`,
        ),
  )
}

const TEXT = { required: true, max: 10_000 } as const
const OPTIONAL_TEXT = { required: false, max: 10_000 } as const
const NAME = { required: true, max: 300 } as const
const OPTIONAL_NAME = { required: false, max: 300 } as const

/** Reads the payload of an ending event; problems go to `reader`. */
export function readEndingPayload(
  reader: FormReader,
  kind: EndingEventKind,
  f: Record<string, unknown>,
): EndingPayload | undefined {
  const text = (key: string, options: { required: boolean; max: number }) =>
    reader.string(f, key, '', options)
  switch (kind) {
    case 'not-executed': {
      const reason = reader.oneOf(f, 'reason', '', NOT_EXECUTED_REASONS, true)
      const explanation = text('explanation', TEXT)
      return reason === undefined || explanation === undefined ? undefined : { kind, reason, explanation }
    }
    case 'released': {
      const providerReference = text('providerReference', OPTIONAL_NAME)
      const reason = text('reason', OPTIONAL_TEXT)
      return {
        kind,
        ...(providerReference !== undefined && { providerReference }),
        ...(reason !== undefined && { reason }),
      }
    }
    case 'mla-received': {
      const authorityReference = text('authorityReference', NAME)
      const mlaReference = text('mlaReference', OPTIONAL_NAME)
      return authorityReference === undefined
        ? undefined
        : { kind, authorityReference, ...(mlaReference !== undefined && { mlaReference }) }
    }
    case 'mla-decided': {
      const decision = reader.oneOf(f, 'decision', '', MLA_DECISIONS, true)
      const note = text('note', TEXT)
      return decision === undefined || note === undefined ? undefined : { kind, decision, note }
    }
    case 'conditions-stated': {
      // required even though it may be empty: a missing list must not lift conditions by accident
      const conditions = reader.present(f, 'conditions')
        ? readConditions(reader, f, 'conditions', '')
        : reader.report('conditions', 'required', 'is required (an empty list lifts earlier conditions)')
      const basis = text('basis', OPTIONAL_NAME)
      return conditions === undefined
        ? undefined
        : { kind, conditions, ...(basis !== undefined && { basis }) }
    }
    case 'conditions-accepted': {
      const note = text('note', OPTIONAL_TEXT)
      return { kind, ...(note !== undefined && { note }) }
    }
    case 'conditions-declined': {
      const reason = text('reason', TEXT)
      return reason === undefined ? undefined : { kind, reason }
    }
  }
}
