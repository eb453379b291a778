import { validateRequest } from '@pocnet/cases'
import { type Directory, RecordNotFoundError } from '@pocnet/directory'
import { ControlApiError } from '../control/errors.ts'
import { type CounterpartChecks, checkAgainstCounterpart } from './checks.ts'

/**
 * How long the checks wait for the counterpart's record. Shorter than a lookup's own limit: a
 * counterpart out of reach still gets the request queued, unchecked, rather than a slow send.
 */
const CHECK_LOOKUP_TIMEOUT_MS = 5_000

/** What the checks found, and whether the counterpart's record could be read at all. */
export interface CounterpartReport extends CounterpartChecks {
  /** False when no record of the counterpart was found in time: nothing was checked. */
  readonly checked: boolean
}

/**
 * Runs the checks against the counterpart's directory record (cached, or fetched for at most a few
 * seconds). A form that does not validate is left to the casebook, which names its problems.
 */
export async function checkCounterpart(
  directory: Directory,
  to: string,
  form: unknown,
): Promise<CounterpartReport> {
  const validated = validateRequest(form)
  if (!validated.ok) return { checked: false, refusals: [], warnings: [] }
  try {
    const found = await directory.lookup(to, { signal: AbortSignal.timeout(CHECK_LOOKUP_TIMEOUT_MS) })
    return { checked: true, ...checkAgainstCounterpart(validated.value, found.record) }
  } catch (err) {
    // a counterpart out of reach is no reason to hold the request: the outbox queues it
    const why = err instanceof RecordNotFoundError ? 'no member has a valid one' : (err as Error).message
    return {
      checked: false,
      refusals: [],
      warnings: [
        {
          rule: 'record',
          message: `${to}'s directory record could not be read (${why}), so its services, languages and declarations were not checked`,
        },
      ],
    }
  }
}

/** Refuses the send when the checks found a refusal: 422, every refusal named, never overridable. */
export function refuseIfInadmissible(to: string, report: CounterpartReport): void {
  if (report.refusals.length === 0) return
  throw new ControlApiError(
    422,
    'ERR_COUNTERPART_REFUSES',
    `${to} cannot take this request: ${report.refusals.map((r) => r.message).join('; ')}`,
    {
      hint: `see ${to}'s record with \`pocnet directory show ${to}\`; nothing was sent`,
      details: { refusals: report.refusals },
    },
  )
}
