import { type Case, type CaseEvent, openCase, type Replay, type Side } from '@pocnet/cases'
import { NodeError } from '../errors.ts'
import type { RequestPayload } from './payload.ts'
import { CaseIndex } from './search-index.ts'

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

/**
 * The cases this node takes part in, by id, and this side's steps still on their way. A case a
 * received request opens is held at once (a second request for its id is refused) but shown
 * (`get`, `values`) only once its opening is recorded and announced: whoever sees the case can
 * see its "new-request" too.
 */
export class HeldCases {
  readonly #country: string
  readonly #cases = new Map<string, HeldCase>()
  readonly #hidden = new Set<string>()
  /** This side's steps by the message that carries them, until it is delivered or given up. */
  readonly sentSteps = new Map<string, { caseId: string; eventId: string }>()
  /** The cases by reference and identifier, for search and the repeated-identifier warning. */
  readonly index = new CaseIndex()

  constructor(country: string) {
    this.#country = country
  }

  /** A case shown; CaseNotFoundError for one not held, or not shown yet. */
  get(id: string): HeldCase {
    const held = this.#cases.get(id)
    if (held === undefined || this.#hidden.has(id)) throw new CaseNotFoundError(id)
    return held
  }

  /** A case held, shown or not. */
  find(id: string): HeldCase | undefined {
    return this.#cases.get(id)
  }

  /** A case shown, or undefined. */
  shown(id: string): HeldCase | undefined {
    return this.#hidden.has(id) ? undefined : this.#cases.get(id)
  }

  has(id: string): boolean {
    return this.#cases.has(id)
  }

  /** The cases shown. */
  *values(): IterableIterator<HeldCase> {
    for (const [id, held] of this.#cases) if (!this.#hidden.has(id)) yield held
  }

  add(held: HeldCase): void {
    this.#cases.set(held.opening.id, held)
    this.index.add(held.opening.id, held.opening.request)
  }

  /** Shows a case held hidden. */
  show(id: string): void {
    this.#hidden.delete(id)
  }

  /** Opens the case a request payload describes, held on this node's `side` against `counterpart`; hidden until `show` when asked. */
  hold(payload: RequestPayload, side: Side, counterpart: string, hidden = false): Case {
    const ours = this.#country
    const opening = openCase({
      caseId: payload.caseId,
      requester: side === 'requester' ? ours : counterpart,
      requested: side === 'requester' ? counterpart : ours,
      openedAt: payload.openedAt,
      request: payload.request,
    })
    this.add({ opening, events: [], current: opening, side, counterpart })
    if (hidden) this.#hidden.add(payload.caseId)
    return opening
  }
}
