import type { CaseSummary } from '../casebook/summary.ts'
import type { PagePlace } from './pager.ts'

/** Why a page about an overdue answer went: this side owes it, or the counterpart does. */
export type AnswerPageReason = 'answer-overdue' | 'answer-late'

/** The pages an answer deadline calls for: when it fell due, why, and each place with its key. */
export interface AnswerPages {
  due: number
  reason: AnswerPageReason
  pages: { place: PagePlace; key: string }[]
}

/**
 * The pages an answer deadline passed at `now` calls for, or undefined while none is due (no answer
 * owed, or not yet due). On the side that owes the answer, the officer on duty (who acts) and the
 * supervisor (a deadline was missed, as the acknowledgement ladder ends); on the requesting side the
 * requester and the supervisor, told to phone the counterpart, as for a late acknowledgement. The
 * keys hold the deadline, so each case pages once per deadline, across restarts too, and a new
 * deadline (a delivery recorded later moves it) pages anew.
 */
export function answerPagesDue(c: CaseSummary, now: number): AnswerPages | undefined {
  if (c.answerDueAt === null) return undefined
  const due = Date.parse(c.answerDueAt)
  if (due > now) return undefined
  const owed = c.side === 'requested'
  const places: PagePlace[] = owed ? ['officer', 'supervisor'] : ['requester', 'supervisor']
  return {
    due,
    reason: owed ? 'answer-overdue' : 'answer-late',
    pages: places.map((place) => ({ place, key: `${c.id}/page/answer/${c.answerDueAt}/${place}` })),
  }
}

/** The feed summary of a page about an overdue answer; `phone` is the counterpart desk's, when known. */
export function answerPageText(
  c: CaseSummary,
  who: string,
  place: PagePlace,
  reason: AnswerPageReason,
  counterpart: string,
  desk: { phone: string; unit: string } | undefined,
): string {
  if (reason === 'answer-overdue')
    return `${who} (${place}): the answer to ${c.urgency} ${c.type} request ${c.id} from ${counterpart} was due ${c.answerDueAt}: answer it, or end it (\`pocnet case show ${c.id}\` lists the steps)`
  return `${who} (${place}): ${counterpart} has not answered ${c.urgency} request ${c.id}, due ${c.answerDueAt}: phone ${counterpart}${desk === undefined ? ' (no directory record found)' : ` at ${desk.phone} (${desk.unit})`}`
}
