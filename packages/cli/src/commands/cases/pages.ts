import type { CaseDetail } from '@pocnet/node/control-client'
import { formatTime, out } from '../../output.ts'

const PLACE_TEXT = {
  officer: 'officer on duty',
  backup: 'backup',
  supervisor: 'supervisor',
  requester: 'requester',
} as const

/** The pages `case show` lists under "paged": who, in which place, when and why. */
export function pageLines(pages: CaseDetail['pages'] | undefined, zone: string): string[] {
  return (pages ?? []).map((p) => {
    const who = p.person ?? out.style('red', 'nobody on the roster')
    const why =
      p.reason === 'answer-overdue'
        ? `answer overdue (due ${formatTime(p.dueAt, zone)})`
        : p.reason === 'answer-late'
          ? `not answered in time: phone the counterpart${p.phone === undefined ? '' : ` at ${p.phone}`}`
          : p.reason === 'acknowledgement-late'
            ? `not acknowledged in time: phone the counterpart${p.phone === undefined ? '' : ` at ${p.phone}`}`
            : p.reason === 'new-request'
              ? 'new request'
              : `still unacknowledged (due ${formatTime(p.dueAt, zone)})`
    return `  ${formatTime(p.at, zone)}  ${who} (${PLACE_TEXT[p.place]}${p.shift === null ? '' : `, shift ${p.shift}`}): ${why}`
  })
}
