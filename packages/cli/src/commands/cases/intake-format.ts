import { renderSummary } from '@pocnet/cases'
import type { DraftDetail, DraftSummary } from '@pocnet/node/control-client'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import { UsageError } from '../../errors.ts'
import { formatTime, out, table } from '../../output.ts'

/** A country given on the command line, upper-cased; a usage error if it is no country code. */
export function countryFlag(value: string): string {
  const to = value.toUpperCase()
  if (!isCountryCode(to)) throw new UsageError(`--to ${value}: must be ${COUNTRY_CODE_RULE}, like FR`)
  return to
}

/** The intake drafts, one row each. */
export function draftsTable(drafts: readonly DraftSummary[], zone: string): string {
  return table([
    ['DRAFT', 'AUTHOR', 'TO', 'TYPE', 'URGENCY', 'STATUS', 'REV', 'UPDATED', 'CASE'],
    ...drafts.map((d) => [
      d.id,
      d.owner,
      d.to,
      d.type ?? '?',
      d.urgency ?? '?',
      d.damaged ? `${d.status} (damaged)` : d.status,
      String(d.revision),
      formatTime(d.updatedAt, zone),
      d.caseId === null ? '-' : `${d.caseId} (${d.caseStatus ?? '?'})`,
    ]),
  ])
}

/** `pocnet intake show`: the draft, its history with every comment, what may happen next. */
export function printDraft(d: DraftDetail, zone: string, withRequest: boolean): void {
  out.line(out.style('bold', `draft ${d.id}: ${d.type ?? '?'} request to ${d.to} by ${d.owner}, ${d.status}`))
  if (d.damaged)
    out.line(out.style('red', '  damaged: its stored contents could not be read; the status is the ledger’s'))
  out.line(`  revision     ${d.revision}`)
  out.line(`  created      ${formatTime(d.createdAt, zone)}`)
  if (d.caseId !== null) out.line(`  case         ${d.caseId} (${d.caseStatus ?? '?'})`)
  out.line(out.style('bold', 'history'))
  for (const s of d.steps) {
    const note = s.note === undefined ? '' : `: ${s.note}`
    const kase = s.caseId === undefined ? '' : ` (case ${s.caseId})`
    out.line(`  ${formatTime(s.at, zone)}  ${s.action.padEnd(9)}  by ${s.by}${kase}${note}`)
  }
  out.line(
    `${out.style('bold', 'next')}  ${d.allowed.length === 0 ? 'nothing: the review is over' : d.allowed.join(', ')}`,
  )
  if (withRequest && d.request !== null) {
    out.line()
    out.line(renderSummary(d.request as Parameters<typeof renderSummary>[0]))
  }
}

/** What a change left: the draft as JSON, or one line and what to do next. */
export function reportDraft(d: DraftDetail, json: boolean | undefined, done: string, next: string): void {
  if (json) {
    out.json(d)
    return
  }
  out.line(`${out.style('green', '✓')} draft ${out.style('bold', d.id)} ${done} (now ${d.status})`)
  out.line(`  ${next}`)
}
