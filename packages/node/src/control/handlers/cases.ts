import { withoutAttachmentKeys } from '../../attachments/of-case.ts'
import { checkCounterpart, refuseIfInadmissible } from '../../counterpart/before-send.ts'
import type { PocnetDaemon } from '../../daemon.ts'
import { ControlApiError } from '../errors.ts'
import type { CaseDetail, caseRoutes } from '../routes/cases.ts'
import type { Handlers } from '../serve.ts'
import { caseDeliveries } from './case-delivery.ts'
import { caseCall, damagedCaseError } from './case-errors.ts'
import { requireMember } from './membership.ts'

export function caseHandlers(daemon: PocnetDaemon): Handlers<typeof caseRoutes> {
  return {
    open: async ({ to, request, idempotencyKey }, { user }) =>
      discardUploadsIfRefused(daemon, request, async () => {
        if (to === daemon.config.country)
          throw new ControlApiError(400, 'ERR_FIELD', 'to: cannot send a request to your own country')
        requireMember(daemon, to)
        const checks = await checkCounterpart(daemon.directory, to, request)
        refuseIfInadmissible(to, checks)
        const opened = await caseCall(() =>
          daemon.cases.openRequest(to, request, `user:${user.name}`, idempotencyKey),
        )
        return { ...opened, warnings: checks.warnings }
      }),
    list: async () => ({ cases: daemon.cases.list(), damaged: daemon.cases.damaged() }),
    detail: async ({ id }) => caseCall(() => caseDetailOf(daemon, id)),
    step: async ({ id, fields }, { user }) =>
      discardUploadsIfRefused(daemon, fields, () =>
        caseCall(() => daemon.cases.addEvent(id, fields, `user:${user.name}`)),
      ),
    followUp: async ({ id, country }) => caseCall(() => daemon.cases.followUp(id, country)),
    search: async ({ q, kind }) => ({ query: q, kind: kind ?? null, cases: daemon.cases.search(q, kind) }),
    repeats: async ({ request }) => ({ repeatedIdentifiers: daemon.cases.repeatedInForm(request) }),
    feed: async ({ after = daemon.feed.cursor, waitMs }, { signal }) => {
      const events = await daemon.feed.after(after, waitMs, signal)
      return { events, cursor: events.at(-1)?.cursor ?? Math.max(after, 0), epoch: daemon.startedAt }
    },
  }
}

/** A case as `GET /cases/:id` shows it: the case, this node's side, every event and what may come next. */
export async function caseDetailOf(daemon: PocnetDaemon, id: string): Promise<CaseDetail> {
  // a case whose request cannot be read is named, never a 404
  const damaged = daemon.cases.damagedCase(id)
  if (damaged !== undefined && !damaged.held) throw damagedCaseError(damaged)
  const d = daemon.cases.detail(id)
  const shown = withoutAttachmentKeys(d.case)
  return {
    case: shown,
    side: d.side,
    events: shown.history,
    allowedMoves: d.allowedMoves,
    ackDueAt: d.ackDueAt,
    answerDueAt: d.answerDueAt,
    nextAlert: d.nextAlert,
    dataUsable: d.dataUsable,
    pages: daemon.duty.pager.pagesOf(id),
    outgoing: await caseDeliveries(daemon.ledger, daemon.outbox, id),
    damaged: damaged?.entries ?? [],
    repeatedIdentifiers: daemon.cases.repeatedIdentifiers(id),
  }
}

/** Sends `message`; refused before it went, the uploads it names are removed rather than left unsent. */
async function discardUploadsIfRefused<T>(
  daemon: PocnetDaemon,
  message: unknown,
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send()
  } catch (err) {
    // the refusal is what the caller needs to hear; a removal that fails is left to the TTL
    await daemon.attachments.unsent
      .discardNamedIn(message)
      .catch((e: unknown) => daemon.log.error('attachments.discard-failed', { error: String(e) }))
    throw err
  }
}
