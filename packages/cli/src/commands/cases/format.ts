import { type CaseEvent, renderSummary } from '@pocnet/cases'
import type { CaseDetail, CaseSummary, FeedEvent } from '@pocnet/node/control-client'
import { fitTable } from '../../fit-table.ts'
import { formatTime, out, relative } from '../../output.ts'
import { damagedEntryText } from './damaged.ts'
import { deliveryLines } from './delivery.ts'
import { endingLines } from './endings-format.ts'
import { pageLines } from './pages.ts'
import { repeatedLines, requestSummaryLines } from './request-summary.ts'

/** A deadline in the reader's zone and from now; red once it has passed. */
function deadline(v: string | null | undefined, zone: string): string {
  if (v === null || v === undefined || v === '') return '-'
  const rel = relative(v)
  const text = `${formatTime(v, zone)} (${rel})`
  return rel.endsWith('ago') ? out.style('red', text) : text
}

/** Attachments by name, size and hash: their transfer (chunk hashes) is `pocnet case attachments`' to show. */
function attachmentsText(v: unknown): string {
  if (!Array.isArray(v)) return JSON.stringify(v)
  return v
    .map(
      (a: { name?: unknown; size?: unknown; sha256?: unknown }) =>
        `${String(a.name)} (${String(a.size)} bytes, sha256 ${String(a.sha256).slice(0, 12)}…)`,
    )
    .join(', ')
}

function eventLine(e: CaseEvent, zone: string): string {
  const { kind, at, side, id: _id, seq: _seq, ...rest } = e
  const facts = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) =>
      k === 'attachments'
        ? `${k}=${attachmentsText(v)}`
        : `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    )
    .join(' ')
  return `  ${formatTime(at, zone)}  ${String(side).padEnd(9)}  ${out.style('bold', String(kind))}  ${facts}`.trimEnd()
}

/** The nearest deadline of this side, from now: "ack in 3h 59m", "answer in 2d", "expiry 2d 1h ago" (red once passed). */
function nextDeadline(c: CaseSummary): string {
  const due = [
    ['ack', c.ackDueAt],
    ['answer', c.answerDueAt],
    ['expiry', c.preservationExpiresAt],
  ].filter((d): d is [string, string] => typeof d[1] === 'string' && d[1] !== '')
  const first = due.sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]))[0]
  if (first === undefined) return '-'
  const text = `${first[0]} ${relative(first[1])}`
  return text.endsWith('ago') ? out.style('red', text) : text
}

/**
 * The inbox: one row a case, with the requester's reference and the nearest deadline, no wider
 * than a 100-column page (reference, type and status give way, cut with an ellipsis).
 */
export function casesTable(cases: readonly CaseSummary[]): string {
  return fitTable(
    [
      ['CASE', 'REFERENCE', 'TYPE', 'FROM→TO', 'STATUS', 'URGENCY', 'NEXT DEADLINE'],
      ...cases.map((c) => [
        c.id,
        c.reference,
        c.type,
        `${c.requester}→${c.requested}`,
        c.status,
        c.urgency,
        nextDeadline(c),
      ]),
    ],
    {
      shrink: [
        { column: 1, min: 10 },
        { column: 2, min: 10 },
        { column: 4, min: 10 },
      ],
    },
  )
}

/** `pocnet case show`: the case, its deadlines, every event and what may happen next; the request with `withRequest`. */
export function printCase(d: CaseDetail, zone: string, withRequest: boolean): void {
  const c = d.case
  out.line(out.style('bold', `case ${c.id}: ${c.type} ${c.requester}→${c.requested}, ${c.status}`))
  out.line(`  opened       ${formatTime(c.openedAt, zone)}`)
  // the receiving officer sees what is asked without --request; the requester wrote it
  if (d.side === 'requested' && !withRequest)
    for (const line of requestSummaryLines(c.request, c.type, zone, c.id)) out.line(line)
  for (const line of repeatedLines(d.repeatedIdentifiers ?? [])) out.line(line)
  const ack = c.acknowledgement
  if (ack !== undefined) out.line(`  acknowledged ${formatTime(ack.at, zone)} by ${ack.by}`)
  else if (d.ackDueAt !== null) out.line(`  ack due      ${deadline(d.ackDueAt, zone)}`)
  if (d.answerDueAt !== null) out.line(`  answer due   ${deadline(d.answerDueAt, zone)}`)
  if (d.nextAlert !== null) out.line(`  next alert   ${deadline(d.nextAlert, zone)}`)
  for (const line of endingLines(c, zone)) out.line(line)
  for (const x of c.disclosures)
    out.line(
      `  Art. 30      ${x.thirdCountryProvider} in ${x.thirdCountry}: \`pocnet case followup ${c.id} --third-country ${x.thirdCountry} --out req.yaml\``,
    )
  for (const l of c.links)
    out.line(`  linked       ${l.relation} ${l.reference}${l.caseId ? ` (case ${l.caseId})` : ''}`)
  out.line(out.style('bold', 'events'))
  for (const e of d.events) out.line(eventLine(e, zone))
  const paged = pageLines(d.pages, zone)
  if (paged.length > 0) out.line(out.style('bold', 'paged'))
  for (const line of paged) out.line(line)
  for (const e of d.damaged) out.line(out.style('red', `  damaged      ${damagedEntryText(e)}`))
  if (d.outgoing.length > 0) {
    out.line(out.style('bold', 'outgoing messages'))
    for (const line of deliveryLines(d.outgoing, zone)) out.line(line)
  }
  out.line(
    `${out.style('bold', 'next')}  ${d.allowedMoves.length === 0 ? 'nothing: the case is finished' : d.allowedMoves.map((m) => `${m.kind} (${m.side})`).join(', ')}`,
  )
  if (withRequest) {
    out.line()
    out.line(renderSummary(c.request))
  }
}

/** One line of `inbox --watch`: red for what went wrong, green for a new request. */
export function feedLine(e: FeedEvent, zone: string): string {
  const colour =
    e.type === 'deadline-missed' || e.type === 'delivery-failed' || e.type === 'equivocation'
      ? 'red'
      : e.type === 'new-request'
        ? 'green'
        : 'cyan'
  return `${formatTime(e.at, zone)}  ${out.style(colour, e.type.padEnd(15))}  ${e.caseId || '-'}  ${e.summary}`
}
