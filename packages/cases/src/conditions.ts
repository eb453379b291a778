import type { CaseEvent } from './events.ts'

/**
 * Conditions on use the requested side set (SAP Art. 9(6), Convention Art. 28(2)) and what the
 * requester answered. Accepted, they bind the requester (SAP Art. 9(7)(a), Art. 28(3)); declined,
 * the requested side decides whether to supply the data nevertheless: it lifts them (a statement
 * with no condition), states others, or leaves the data unusable.
 */
export interface ConditionsOnUse {
  readonly conditions: readonly string[]
  readonly basis?: string
  readonly statedAt: string
  readonly answer?: {
    readonly accepted: boolean
    readonly at: string
    /** The requester's note on accepting, or why it declined. */
    readonly text?: string
  }
}

/** The conditions after an event about them; other events leave them as they are. */
export function nextConditions(
  current: ConditionsOnUse | undefined,
  e: CaseEvent,
): ConditionsOnUse | undefined {
  switch (e.kind) {
    case 'conditions-stated':
      return { conditions: e.conditions, statedAt: e.at, ...(e.basis !== undefined && { basis: e.basis }) }
    case 'conditions-accepted':
      return (
        current && {
          ...current,
          answer: { accepted: true, at: e.at, ...(e.note !== undefined && { text: e.note }) },
        }
      )
    case 'conditions-declined':
      return current && { ...current, answer: { accepted: false, at: e.at, text: e.reason } }
    default:
      return current
  }
}

/** Conditions stated and not yet answered. */
export function conditionsPending(c: { readonly conditions?: ConditionsOnUse }): boolean {
  return c.conditions !== undefined && c.conditions.conditions.length > 0 && c.conditions.answer === undefined
}

/**
 * Whether the data of an answer (or disclosure) may be used: no conditions, or conditions the
 * requester accepted. Pending or declined conditions keep it unusable.
 */
export function dataUsable(c: { readonly conditions?: ConditionsOnUse }): boolean {
  const k = c.conditions
  return k === undefined || k.conditions.length === 0 || k.answer?.accepted === true
}

/** The guard on the condition events: why `e` is not allowed now, or undefined. */
export function conditionsProblem(
  c: { readonly conditions?: ConditionsOnUse },
  e: CaseEvent,
): string | undefined {
  switch (e.kind) {
    case 'conditions-stated':
      if (conditionsPending(c)) return "the conditions stated earlier await the requester's answer"
      if (e.conditions.length === 0 && (c.conditions === undefined || c.conditions.conditions.length === 0))
        return 'there are no conditions to lift: state at least one condition'
      return undefined
    case 'conditions-accepted':
    case 'conditions-declined':
      return conditionsPending(c) ? undefined : 'no conditions on use await an answer'
    default:
      return undefined
  }
}
