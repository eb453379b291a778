import { type Case, dataUsable, isHeld, WITHDRAWAL_RELEASE_REASON } from '@pocnet/cases'
import { formatTime, out, relative } from '../../output.ts'

function until(v: string, zone: string): string {
  const rel = relative(v)
  const text = `${formatTime(v, zone)} (${rel})`
  return rel.endsWith('ago') ? out.style('red', text) : text
}

/**
 * The days of a preservation, every period: "90 days", or "90 + 90 days (extended once)", so an
 * extension does not read as the whole of it.
 */
export function preservedDays(periods: ReadonlyArray<{ grantedDays: number }>): string {
  const days = periods.map((p) => p.grantedDays)
  if (days.length <= 1) return `${days[0] ?? 0} days`
  const times = days.length - 1
  return `${days.join(' + ')} days (extended ${times === 1 ? 'once' : `${times} times`})`
}

/**
 * `case show`'s lines on how the case ends: each custodian's preserved data, the MLA handover,
 * a non-execution, and the conditions on use with whether the data may be used.
 */
export function endingLines(c: Case, zone: string, now = new Date().toISOString()): string[] {
  const lines: string[] = []
  for (const k of c.custodians) {
    const what = [k.provider, k.dataCategory].filter((v) => v !== undefined).join(', ')
    const range =
      k.dataFrom === undefined && k.dataTo === undefined
        ? ''
        : `, data ${k.dataFrom === undefined ? '…' : formatTime(k.dataFrom, zone)} to ${k.dataTo === undefined ? '…' : formatTime(k.dataTo, zone)}`
    const state =
      k.released !== undefined
        ? `released ${formatTime(k.released.at, zone)}${k.released.reason === WITHDRAWAL_RELEASE_REASON ? ' (request withdrawn)' : ''}`
        : c.mlaReceived !== undefined && isHeld(k, now, c.mlaReceived.at)
          ? 'held until the MLA request is decided, then until released (Art. 29(7))'
          : `until ${until(k.current.expiresAt, zone)}`
    lines.push(
      `  preserved    ref ${k.providerReference}${what === '' ? '' : ` (${what})`}${range}, ${preservedDays(k.periods)}, ${state}`,
    )
  }
  if (c.mla !== undefined)
    lines.push(`  MLA sent     ${c.mla.reference}, ${formatTime(c.mla.submittedAt, zone)}`)
  if (c.mlaReceived !== undefined)
    lines.push(`  MLA received ${c.mlaReceived.authorityReference}, ${formatTime(c.mlaReceived.at, zone)}`)
  if (c.mlaDecision !== undefined)
    lines.push(
      `  MLA decided  ${c.mlaDecision.decision}, ${formatTime(c.mlaDecision.at, zone)}: ${c.mlaDecision.note}`,
    )
  if (c.notExecuted !== undefined)
    lines.push(`  not executed ${c.notExecuted.reason}: ${c.notExecuted.explanation}`)
  const k = c.conditions
  if (k !== undefined && k.conditions.length > 0) {
    const answer =
      k.answer === undefined ? 'awaiting the requester' : k.answer.accepted ? 'accepted' : 'declined'
    lines.push(
      `  conditions   ${answer}${k.basis === undefined ? '' : ` (${k.basis})`}: ${k.conditions.join('; ')}`,
    )
  }
  if (c.answer !== undefined || c.disclosures.length > 0)
    lines.push(
      `  data usable  ${dataUsable(c) ? 'yes' : out.style('red', 'no: the conditions on use are not accepted')}`,
    )
  return lines
}
