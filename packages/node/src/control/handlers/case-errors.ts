import { CasesError, IllegalTransitionError, InvalidEventError, InvalidRequestError } from '@pocnet/cases'
import { CaseNotFoundError, type DamagedCase } from '../../casebook/index.ts'
import { ControlApiError } from '../errors.ts'
import type { IllegalStepDetails } from '../routes/cases.ts'

/** Case-package errors as API errors: 400 with every problem, 409 for an illegal step, 404 for an unknown case. */
export async function caseCall<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof InvalidRequestError || err instanceof InvalidEventError) {
      throw new ControlApiError(400, err.code, err.message, {
        details: { problems: err.problems },
        hint: 'fix each field listed and send again',
      })
    }
    if (err instanceof IllegalTransitionError) {
      // the message lists both sides' moves; the hint, what this node's side can do instead
      const ours = err.allowed.filter((m) => m.side === err.side).map((m) => m.kind)
      throw new ControlApiError(409, err.code, err.message, {
        details: { status: err.status, side: err.side, allowed: err.allowed } satisfies IllegalStepDetails,
        hint:
          ours.length === 0
            ? `nothing the ${err.side} side can send now`
            : `the ${err.side} side can send now: ${ours.join(', ')}`,
      })
    }
    // a follow-up built on data whose conditions on use are not accepted (the message says how)
    if (err instanceof CasesError && err.code === 'ERR_CONDITIONS_PENDING') {
      throw new ControlApiError(409, err.code, err.message, {
        hint: 'the data may be used once the requester accepts its conditions',
      })
    }
    if (err instanceof CaseNotFoundError) {
      throw new ControlApiError(404, err.code, err.message, {
        hint: 'see `pocnet inbox` for the cases on this node',
      })
    }
    throw err
  }
}

/**
 * A case whose opening request cannot be read (its ledger entries are there, its payload is not):
 * 409 naming each unreadable message and why, with the case as `details`, never a 404.
 */
export function damagedCaseError(damaged: DamagedCase): ControlApiError {
  const parts = damaged.entries.map(
    (e) =>
      `${e.messageKind === 'case-request' ? 'its request' : 'a step'} (ledger entry ${e.seq}${e.messageId === null ? '' : `, message ${e.messageId}`}): ${e.problem}`,
  )
  return new ControlApiError(
    409,
    'ERR_CASE_DAMAGED',
    `case ${damaged.id} with ${damaged.counterpart} is damaged: cannot read ${parts.join('; ')}`,
    {
      details: damaged,
      hint: 'the ledger still holds its entries (`pocnet ledger verify`); restore the data directory from a backup to read the case again',
    },
  )
}
