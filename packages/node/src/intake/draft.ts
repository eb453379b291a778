import { NodeError } from '../errors.ts'

/*
 * Domestic intake: an investigator of this country drafts a request, a contact point reviews it
 * (approves and sends it, returns it with comments, or refuses it). This file is the state
 * machine, pure: the desk (desk.ts) runs it, the ledger (record.ts) keeps every change.
 */

/** Where a draft stands. `refused` and `approved` are final; an approved draft became a case. */
export const DRAFT_STATUSES = ['draft', 'submitted', 'returned', 'refused', 'approved'] as const
export type DraftStatus = (typeof DRAFT_STATUSES)[number]

/** What can happen to a draft; each is a ledger entry. */
export const INTAKE_ACTIONS = ['drafted', 'revised', 'submitted', 'returned', 'refused', 'approved'] as const
export type IntakeAction = (typeof INTAKE_ACTIONS)[number]

/** Who takes an action: the investigator who wrote the draft, or a contact point reviewing it. */
export type IntakeActor = 'owner' | 'reviewer'

interface Move {
  by: IntakeActor
  /** The statuses it may start from (undefined: no draft yet). */
  from: ReadonlyArray<DraftStatus | undefined>
  to: DraftStatus
}

export const INTAKE_MOVES: Readonly<Record<IntakeAction, Move>> = {
  drafted: { by: 'owner', from: [undefined], to: 'draft' },
  revised: { by: 'owner', from: ['draft', 'returned'], to: 'draft' },
  submitted: { by: 'owner', from: ['draft', 'returned'], to: 'submitted' },
  returned: { by: 'reviewer', from: ['submitted'], to: 'returned' },
  refused: { by: 'reviewer', from: ['submitted'], to: 'refused' },
  approved: { by: 'reviewer', from: ['submitted'], to: 'approved' },
}

/** The most characters of a reviewer's comments or reason. */
export const MAX_NOTE_LENGTH = 4_000

/**
 * One change to a draft, as the ledger's blob keeps it (sealed at rest): what replaying it needs.
 * `to` and `request` come with `drafted` and `revised`, `note` with `returned` and `refused`,
 * `caseId` with `approved`.
 */
export interface IntakeChange {
  draftId: string
  action: IntakeAction
  /** ISO 8601 UTC. */
  at: string
  /** The local user who made it. */
  by: string
  to?: string
  request?: unknown
  note?: string
  caseId?: string
}

/** One step of a draft's history, as its owner and reviewers see it (never the form itself). */
export interface IntakeStep {
  action: IntakeAction
  at: string
  by: string
  note?: string
  caseId?: string
}

export interface Draft {
  id: string
  /** The investigator who wrote it: the only investigator who sees it. */
  owner: string
  /** The member country it is addressed to. */
  to: string
  /** The request form, checked as `request send` checks it. Null when its stored copy cannot be read. */
  request: unknown
  status: DraftStatus
  createdAt: string
  updatedAt: string
  /** 1 for the first version, one more at each revision. */
  revision: number
  /** The case an approval opened. */
  caseId: string | null
  steps: IntakeStep[]
  /** A change whose stored copy could not be read: the status is the ledger's, the contents may be stale. */
  damaged: boolean
}

/** A move the draft's status does not allow; 409, with what is allowed. */
export class IllegalIntakeMoveError extends NodeError {
  readonly status: DraftStatus
  readonly allowed: IntakeAction[]
  constructor(draftId: string, action: IntakeAction, status: DraftStatus) {
    const allowed = allowedActions(status)
    super('ERR_INTAKE_MOVE', `draft ${draftId} is ${status}: it cannot be ${action}`)
    this.status = status
    this.allowed = allowed
  }
}

/** A change that breaks a rule of the machine itself (the wrong user, a missing field). */
export class InvalidIntakeChangeError extends NodeError {
  constructor(message: string) {
    super('ERR_INTAKE_CHANGE', message)
  }
}

/** The actions a draft in `status` allows, by anyone. */
export function allowedActions(status: DraftStatus): IntakeAction[] {
  return INTAKE_ACTIONS.filter((a) => INTAKE_MOVES[a].from.includes(status))
}

/**
 * Checks that `by` may take `action` on `draft` in its status: IllegalIntakeMoveError or
 * InvalidIntakeChangeError if not. For a move that must be checked before its effects exist
 * (an approval, before the case it opens).
 */
export function requireMove(
  draft: Draft | undefined,
  draftId: string,
  action: IntakeAction,
  by: string,
): Move {
  const move = INTAKE_MOVES[action]
  if (move === undefined)
    throw new InvalidIntakeChangeError(`action: must be one of ${INTAKE_ACTIONS.join(', ')}`)
  if (!move.from.includes(draft?.status)) {
    if (draft === undefined)
      throw new InvalidIntakeChangeError(`draft ${draftId}: ${action} needs an existing draft`)
    throw new IllegalIntakeMoveError(draft.id, action, draft.status)
  }
  if (move.by === 'owner' && draft !== undefined && by !== draft.owner)
    throw new InvalidIntakeChangeError(
      `draft ${draft.id}: only its author, ${draft.owner}, may have it ${action}`,
    )
  return move
}

/**
 * The draft after `change`: checked against the status it starts from and the actor it needs.
 * Throws IllegalIntakeMoveError or InvalidIntakeChangeError, and leaves `draft` as it was.
 */
export function applyIntakeChange(draft: Draft | undefined, change: IntakeChange): Draft {
  const move = requireMove(draft, change.draftId, change.action, change.by)
  if (
    (change.action === 'drafted' || change.action === 'revised') &&
    (change.to === undefined || change.request === undefined)
  )
    throw new InvalidIntakeChangeError(
      `draft ${change.draftId}: ${change.action} needs the country and the form`,
    )
  if ((change.action === 'returned' || change.action === 'refused') && !change.note)
    throw new InvalidIntakeChangeError(`draft ${change.draftId}: ${change.action} needs the reviewer's words`)
  if (change.action === 'approved' && change.caseId === undefined)
    throw new InvalidIntakeChangeError(`draft ${change.draftId}: approved needs the case it opened`)
  const step: IntakeStep = {
    action: change.action,
    at: change.at,
    by: change.by,
    ...(change.note === undefined ? {} : { note: change.note }),
    ...(change.caseId === undefined ? {} : { caseId: change.caseId }),
  }
  if (draft === undefined)
    return {
      id: change.draftId,
      owner: change.by,
      to: change.to!,
      request: change.request,
      status: move.to,
      createdAt: change.at,
      updatedAt: change.at,
      revision: 1,
      caseId: null,
      steps: [step],
      damaged: false,
    }
  return {
    ...draft,
    ...(change.action === 'revised'
      ? { to: change.to!, request: change.request, revision: draft.revision + 1 }
      : {}),
    status: move.to,
    updatedAt: change.at,
    caseId: change.caseId ?? draft.caseId,
    steps: [...draft.steps, step],
  }
}
