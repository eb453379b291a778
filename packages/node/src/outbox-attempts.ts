import { ExchangeError } from '@pocnet/protocol/reqresp'

/** One failed delivery attempt of an outbox message: when, and why in words a person can act on. */
export interface AttemptRecord {
  /** When the attempt failed, ms since the epoch. */
  at: number
  error: string
}

/** The failed attempts an outbox item remembers, newest last: enough to see a pattern, bounded. */
export const ATTEMPT_RECORDS_KEPT = 10

/** The longest error text kept: a libp2p aggregate of dial errors can run to pages. */
const MAX_ERROR_CHARS = 300

/** Notes a failed attempt on `records` (kept to the last ATTEMPT_RECORDS_KEPT). */
export function noteFailedAttempt(records: AttemptRecord[], at: number, error: string): void {
  records.push({ at, error })
  if (records.length > ATTEMPT_RECORDS_KEPT) records.splice(0, records.length - ATTEMPT_RECORDS_KEPT)
}

/**
 * Why a delivery attempt failed, for the log, `GET /outbox` and `case show`: the exchange failure
 * and what lay under it (a refused dial names the address and the errno), or the error's own
 * message (no directory record, not a member, …); never a bare class name.
 */
export function attemptFailure(err: unknown): string {
  if (err instanceof ExchangeError) {
    const under = causeText(err.cause)
    return clip(under === undefined ? err.failure : `${err.failure}: ${under}`)
  }
  if (err instanceof Error && err.name === 'TimeoutError') return 'deadline: no answer in time'
  return clip(causeText(err) ?? 'unknown failure')
}

/** The message of `err`, through its causes and the errors an AggregateError gathers. */
function causeText(err: unknown, depth = 0): string | undefined {
  if (err === undefined || err === null || depth > 4) return undefined
  if (!(err instanceof Error)) return String(err)
  if (err instanceof AggregateError && err.errors.length > 0) {
    const parts = [...new Set(err.errors.map((e) => causeText(e, depth + 1)).filter((t) => t !== undefined))]
    if (parts.length > 0) return parts.join('; ')
  }
  const own = err.message.trim()
  const deeper = causeText(err.cause, depth + 1)
  if (own === '') return deeper ?? err.name
  return deeper === undefined || own.includes(deeper) ? own : `${own} (${deeper})`
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length <= MAX_ERROR_CHARS ? oneLine : `${oneLine.slice(0, MAX_ERROR_CHARS - 1)}…`
}
