import { randomBytes } from 'node:crypto'
import { InvalidRequestError, validateRequest } from '@pocnet/cases'
import type { Ledger } from '@pocnet/ledger'
import type { Role } from '../control/roles.ts'
import { NodeError } from '../errors.ts'
import type { EventFeed } from '../feed.ts'
import type { Logger } from '../log.ts'
import { applyIntakeChange, type Draft, type IntakeAction, type IntakeChange, requireMove } from './draft.ts'
import { rebuildDrafts, recordChange } from './record.ts'

/** Who asks: an investigator sees only their own drafts, a reviewer every draft. */
export interface IntakeViewer {
  name: string
  role: Role
}

/** Opens a case from an approved draft: the case book's `openRequest`, the normal send path. */
export type OpenCase = (
  to: string,
  form: unknown,
  actor: string,
  idempotencyKey: string,
) => Promise<{ caseId: string; messageId: string; repeated: boolean }>

export interface IntakeDeskInit {
  ledger: Ledger
  openCase: OpenCase
  /** Told of each draft submitted for review, so the contact point on duty learns of it. */
  feed?: EventFeed
  log: Logger
  now?: () => Date
}

/** No draft of that id that the caller may see: the same answer whether it exists or not. */
export class DraftNotFoundError extends NodeError {
  constructor(id: string, viewer: IntakeViewer) {
    super(
      'ERR_DRAFT_NOT_FOUND',
      viewer.role === 'investigator' ? `no draft ${id} of yours on this node` : `no draft ${id} on this node`,
    )
  }
}

/** A case none of the caller's drafts became: the same answer whether it exists or not. */
export class IntakeCaseNotFoundError extends NodeError {
  constructor(caseId: string) {
    super('ERR_CASE_NOT_FOUND', `no case ${caseId} among the cases your drafts became`)
  }
}

/**
 * The intake desk: every draft, rebuilt from the ledger at start, and each change made one at a
 * time (checked by the state machine, recorded in the ledger, then taken in memory). An approval
 * sends through the case book under the idempotency key `intake:<draft>`, so approving again
 * after a crash between the send and its record opens no second case.
 */
export class IntakeDesk {
  readonly #init: IntakeDeskInit
  readonly #now: () => Date
  #drafts = new Map<string, Draft>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor(init: IntakeDeskInit) {
    this.#init = init
    this.#now = init.now ?? (() => new Date())
  }

  async start(): Promise<void> {
    this.#drafts = await rebuildDrafts(this.#init.ledger, this.#init.log)
  }

  // ——— reading ———

  /** The drafts `viewer` may see, the latest change first. */
  list(viewer: IntakeViewer): Draft[] {
    return [...this.#drafts.values()]
      .filter((d) => sees(viewer, d))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
  }

  /** A draft `viewer` may see; DraftNotFoundError for any other, existing or not. */
  get(viewer: IntakeViewer, id: string): Draft {
    const draft = this.#drafts.get(id)
    if (draft === undefined || !sees(viewer, draft)) throw new DraftNotFoundError(id, viewer)
    return draft
  }

  /** Checks that a draft of `viewer`'s became case `caseId`; IntakeCaseNotFoundError otherwise. */
  requireOwnCase(viewer: IntakeViewer, caseId: string): Draft {
    const draft = this.list(viewer).find((d) => d.caseId === caseId)
    if (draft === undefined) throw new IntakeCaseNotFoundError(caseId)
    return draft
  }

  // ——— the investigator's moves ———

  /** A new draft to `to`, checked as `request send` checks a form (InvalidRequestError with every problem). */
  create(viewer: IntakeViewer, to: string, form: unknown): Promise<Draft> {
    return this.#serial(async () => {
      const request = checkedForm(form)
      const day = this.#now().toISOString().slice(0, 10).replaceAll('-', '')
      const draftId = `D-${day}-${randomBytes(4).toString('hex')}`
      return this.#apply(viewer, draftId, 'drafted', { to, request })
    })
  }

  revise(viewer: IntakeViewer, id: string, to: string | undefined, form: unknown): Promise<Draft> {
    return this.#serial(async () => {
      const draft = this.get(viewer, id)
      return this.#apply(viewer, draft.id, 'revised', { to: to ?? draft.to, request: checkedForm(form) })
    })
  }

  async submit(viewer: IntakeViewer, id: string): Promise<Draft> {
    const draft = await this.#change(viewer, id, 'submitted', {})
    // who and where, never the form: the feed reaches the notification hook
    this.#init.feed?.publish({
      type: 'draft-submitted',
      caseId: '',
      at: draft.updatedAt,
      summary: `draft ${draft.id} by ${draft.owner} for ${draft.to} awaits review (revision ${draft.revision})`,
      detail: { draftId: draft.id, author: draft.owner, to: draft.to },
    })
    return draft
  }

  // ——— the reviewer's moves ———

  returnToAuthor(viewer: IntakeViewer, id: string, comments: string): Promise<Draft> {
    return this.#change(viewer, id, 'returned', { note: comments })
  }

  refuse(viewer: IntakeViewer, id: string, reason: string): Promise<Draft> {
    return this.#change(viewer, id, 'refused', { note: reason })
  }

  /**
   * Sends a submitted draft as a normal outgoing request (the case book checks the form again
   * and opens the case), then records the approval naming the case. A send that fails leaves
   * the draft submitted.
   */
  approve(viewer: IntakeViewer, id: string): Promise<{ draft: Draft; messageId: string }> {
    return this.#serial(async () => {
      const draft = this.get(viewer, id)
      // checked before sending: only a submitted draft may go out
      requireMove(draft, id, 'approved', viewer.name)
      const opened = await this.#init.openCase(draft.to, draft.request, `user:${viewer.name}`, `intake:${id}`)
      const approved = await this.#apply(viewer, id, 'approved', { caseId: opened.caseId })
      return { draft: approved, messageId: opened.messageId }
    })
  }

  // ——— changing ———

  #change(
    viewer: IntakeViewer,
    draftId: string,
    action: IntakeAction,
    fields: Pick<IntakeChange, 'to' | 'request' | 'note' | 'caseId'>,
  ): Promise<Draft> {
    return this.#serial(() => this.#apply(viewer, draftId, action, fields))
  }

  /** Checks a change, records it, then takes it: a change the ledger did not take never happened. */
  async #apply(
    viewer: IntakeViewer,
    draftId: string,
    action: IntakeAction,
    fields: Pick<IntakeChange, 'to' | 'request' | 'note' | 'caseId'>,
  ): Promise<Draft> {
    const before = action === 'drafted' ? undefined : this.get(viewer, draftId)
    const change: IntakeChange = {
      draftId,
      action,
      at: this.#now().toISOString(),
      by: viewer.name,
      ...fields,
    }
    const after = applyIntakeChange(before, change)
    await recordChange(this.#init.ledger, change, before?.status, after)
    this.#drafts.set(draftId, after)
    return after
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work)
    this.#queue = run.catch(() => {})
    return run
  }
}

function sees(viewer: IntakeViewer, draft: Draft): boolean {
  return viewer.role !== 'investigator' || draft.owner === viewer.name
}

/** The form as the case book would send it, or InvalidRequestError listing every problem. */
function checkedForm(form: unknown): unknown {
  const checked = validateRequest(form)
  if (!checked.ok) throw new InvalidRequestError(checked.problems)
  return checked.value
}
