import type { CaseEventKind, Side } from './events.ts'
import type { Problem } from './problems.ts'

/** Base class of every error this package throws on purpose. */
export class CasesError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** A request given to `openCase` (or built by a helper) does not pass validation. */
export class InvalidRequestError extends CasesError {
  readonly problems: readonly Problem[]
  constructor(problems: readonly Problem[]) {
    super(
      'ERR_INVALID_REQUEST',
      `invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    )
    this.problems = problems
  }
}

/** A case event is missing data it must carry, or carries data in the wrong shape. */
export class InvalidEventError extends CasesError {
  readonly problems: readonly Problem[]
  constructor(problems: readonly Problem[]) {
    super(
      'ERR_INVALID_EVENT',
      `invalid case event: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    )
    this.problems = problems
  }
}

/** What a side may do next, as listed in an {@link IllegalTransitionError}. */
export interface AllowedMove {
  readonly kind: CaseEventKind
  readonly side: Side
}

/**
 * An event that the case's current state, the sender's side or the request type does not allow.
 * Both nodes reject it the same way, so the two views of a case never diverge.
 */
export class IllegalTransitionError extends CasesError {
  readonly caseId: string
  readonly status: string
  readonly eventKind: string
  readonly side: string
  readonly allowed: readonly AllowedMove[]
  constructor(
    caseId: string,
    status: string,
    eventKind: string,
    side: string,
    reason: string,
    allowed: readonly AllowedMove[],
  ) {
    const options =
      allowed.length === 0
        ? 'nothing: the case is finished'
        : allowed.map((a) => `${a.kind} (${a.side})`).join(', ')
    super(
      'ERR_ILLEGAL_TRANSITION',
      `case ${caseId} is '${status}': '${eventKind}' from the ${side} side is not allowed (${reason}). ` +
        `Allowed now: ${options}`,
    )
    this.caseId = caseId
    this.status = status
    this.eventKind = eventKind
    this.side = side
    this.allowed = allowed
  }
}
