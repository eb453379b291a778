import { type CaseRequest, requestTypeOfSchema } from '@pocnet/cases'
import { checkCounterpart, refuseIfInadmissible } from '../../counterpart/before-send.ts'
import type { PocnetDaemon } from '../../daemon.ts'
import { DraftNotFoundError, IntakeCaseNotFoundError } from '../../intake/desk.ts'
import {
  allowedActions,
  type Draft,
  IllegalIntakeMoveError,
  InvalidIntakeChangeError,
} from '../../intake/draft.ts'
import { ControlApiError } from '../errors.ts'
import type { DraftDetail, DraftSummary, intakeRoutes } from '../routes/intake.ts'
import type { Handlers } from '../serve.ts'
import { caseCall } from './case-errors.ts'
import { caseDetailOf } from './cases.ts'
import { requireMember } from './membership.ts'

export function intakeHandlers(daemon: PocnetDaemon): Handlers<typeof intakeRoutes> {
  const summary = (d: Draft): DraftSummary => draftSummary(daemon, d)
  const detail = (d: Draft): DraftDetail => ({
    ...summary(d),
    request: d.request,
    steps: d.steps,
    allowed: allowedActions(d.status),
  })
  /** A country a draft may go to: a member, not this one. */
  const destination = (to: string): void => {
    if (to === daemon.config.country)
      throw new ControlApiError(400, 'ERR_FIELD', 'to: cannot send a request to your own country', {
        details: { field: 'to' },
      })
    requireMember(daemon, to)
  }
  return {
    create: async ({ to, request }, { user }) => {
      destination(to)
      return detail(await intakeCall(() => daemon.intake.create(user, to, request)))
    },
    list: async ({ status }, { user }) => ({
      drafts: daemon.intake
        .list(user)
        .filter((d) => status === undefined || d.status === status)
        .map(summary),
    }),
    show: async ({ id }, { user }) => detail(await intakeCall(() => daemon.intake.get(user, id))),
    revise: async ({ id, to, request }, { user }) => {
      if (to !== undefined) destination(to)
      return detail(await intakeCall(() => daemon.intake.revise(user, id, to, request)))
    },
    submit: async ({ id }, { user }) => detail(await intakeCall(() => daemon.intake.submit(user, id))),
    approve: async ({ id }, { user }) => {
      // approval sends the request: the counterpart checks of POST /cases apply to it too
      const pending = await intakeCall(() => daemon.intake.get(user, id))
      refuseIfInadmissible(pending.to, await checkCounterpart(daemon.directory, pending.to, pending.request))
      const { draft, messageId } = await intakeCall(() => daemon.intake.approve(user, id))
      return { draft: detail(draft), caseId: draft.caseId!, messageId }
    },
    return: async ({ id, comments }, { user }) =>
      detail(await intakeCall(() => daemon.intake.returnToAuthor(user, id, comments))),
    refuse: async ({ id, reason }, { user }) =>
      detail(await intakeCall(() => daemon.intake.refuse(user, id, reason))),
    case: async ({ id }, { user }) =>
      intakeCall(() => {
        daemon.intake.requireOwnCase(user, id)
        return caseDetailOf(daemon, id)
      }),
  }
}

/** A draft as listed, with the status of the case it became. */
function draftSummary(daemon: PocnetDaemon, d: Draft): DraftSummary {
  const form = d.request as Partial<CaseRequest> | null
  let caseStatus: string | null = null
  if (d.caseId !== null) {
    try {
      caseStatus = daemon.cases.get(d.caseId).current.status
    } catch {
      caseStatus = null
    }
  }
  return {
    id: d.id,
    owner: d.owner,
    to: d.to,
    type: typeof form?.schema === 'string' ? (requestTypeOfSchema(form.schema) ?? null) : null,
    urgency: form?.urgency ?? null,
    status: d.status,
    revision: d.revision,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    caseId: d.caseId,
    caseStatus,
    damaged: d.damaged,
  }
}

/** Intake errors as API errors (404 for a draft or case not the caller's, 409 for an illegal move), then case errors. */
async function intakeCall<T>(work: () => Promise<T> | T): Promise<T> {
  return caseCall(async () => {
    try {
      return await work()
    } catch (err) {
      if (err instanceof DraftNotFoundError)
        throw new ControlApiError(404, err.code, err.message, {
          hint: 'see `pocnet intake list` for your drafts',
        })
      if (err instanceof IntakeCaseNotFoundError)
        throw new ControlApiError(404, err.code, err.message, {
          hint: 'see `pocnet intake list` for the cases your drafts became',
        })
      if (err instanceof IllegalIntakeMoveError)
        throw new ControlApiError(409, err.code, err.message, {
          details: { status: err.status, allowed: err.allowed },
          hint:
            err.allowed.length === 0
              ? `nothing can happen to a ${err.status} draft`
              : `a ${err.status} draft can be: ${err.allowed.join(', ')}`,
        })
      if (err instanceof InvalidIntakeChangeError) throw new ControlApiError(403, err.code, err.message)
      throw err
    }
  })
}
