import { type Case, type CaseEvent, openCase, type Replay, type Side } from '@pocnet/cases'
import { NodeError } from '../errors.ts'
import type { RequestPayload } from './payload.ts'

export interface HeldCase {
  opening: Case
  events: CaseEvent[]
  current: Case
  /** This node's side of the case. */
  side: Side
  counterpart: string
}

/** What replaying a case message changed: it opened a case, or it was a step (received, here). */
export type Change =
  | { type: 'opened'; caseId: string }
  | {
      type: 'step'
      caseId: string
      kind: string
      before: string
      after: string
      /** This side's steps the replay rejected: they crossed the message. */
      crossed: Array<{ kind: string; why: string }>
    }

/** The change a step made, and the steps of this side's the replay rejected: they crossed it. */
export function stepChange(
  caseId: string,
  kind: string,
  before: string,
  held: { side: Side; current: Case },
  replay: Replay,
): Change {
  const crossed = replay.rejected
    .filter((r) => r.event.side === held.side)
    .map((r) => ({ kind: r.event.kind, why: r.error.message }))
  return { type: 'step', caseId, kind, before, after: held.current.status, crossed }
}

export class CaseNotFoundError extends NodeError {
  constructor(id: string) {
    super('ERR_CASE_NOT_FOUND', `no case ${id} on this node`)
  }
}

/** The cases this node takes part in, by id, and this side's steps still on their way. */
export class HeldCases {
  readonly #country: string
  readonly #cases = new Map<string, HeldCase>()
  /** This side's steps by the message that carries them, until it is delivered or given up. */
  readonly sentSteps = new Map<string, { caseId: string; eventId: string }>()

  constructor(country: string) {
    this.#country = country
  }

  get(id: string): HeldCase {
    const held = this.#cases.get(id)
    if (held === undefined) throw new CaseNotFoundError(id)
    return held
  }

  find(id: string): HeldCase | undefined {
    return this.#cases.get(id)
  }

  has(id: string): boolean {
    return this.#cases.has(id)
  }

  values(): IterableIterator<HeldCase> {
    return this.#cases.values()
  }

  add(held: HeldCase): void {
    this.#cases.set(held.opening.id, held)
  }

  /** Opens the case a request payload describes, held on this node's `side` against `counterpart`. */
  hold(payload: RequestPayload, side: Side, counterpart: string): Case {
    const ours = this.#country
    const opening = openCase({
      caseId: payload.caseId,
      requester: side === 'requester' ? ours : counterpart,
      requested: side === 'requester' ? counterpart : ours,
      openedAt: payload.openedAt,
      request: payload.request,
    })
    this.add({ opening, events: [], current: opening, side, counterpart })
    return opening
  }
}
