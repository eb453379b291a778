import { URGENCIES, type Urgency } from '@pocnet/cases'
import type { ConfigProblem } from '../errors.ts'

/** The places on the roster a rung pages. */
export const RUNG_PLACES = ['officer', 'backup', 'supervisor'] as const
export type RungPlace = (typeof RUNG_PLACES)[number]

/**
 * One rung of an escalation ladder: page `page` once a received request is still unacknowledged
 * `atShare` of the way to its acknowledgement deadline (0: on arrival, 1: at the deadline).
 */
export interface Rung {
  page: RungPlace
  atShare: number
}

/** The config file's `escalation`: a ladder per urgency; an urgency left out has DEFAULT_LADDER. */
export type EscalationConfig = Partial<Record<Urgency, Rung[]>>

/** The officer on duty on arrival, the backup halfway to the deadline, the supervisor at it. */
export const DEFAULT_LADDER: readonly Rung[] = [
  { page: 'officer', atShare: 0 },
  { page: 'backup', atShare: 0.5 },
  { page: 'supervisor', atShare: 1 },
]

const MAX_RUNGS = 8

export function ladderFor(config: EscalationConfig | undefined, urgency: Urgency): readonly Rung[] {
  return config?.[urgency] ?? DEFAULT_LADDER
}

/** When each rung falls due for a request opened at `openedAtMs` with `deadlineMinutes` to acknowledge it. */
export function rungDueAt(rung: Rung, openedAtMs: number, deadlineMinutes: number): number {
  return openedAtMs + Math.round(rung.atShare * deadlineMinutes * 60_000)
}

/** Every problem with a config file's `escalation`, each naming its path and the rule. */
export function escalationProblems(value: unknown): ConfigProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [
      { path: 'escalation', message: `must be an object with a ladder for any of ${URGENCIES.join(', ')}` },
    ]
  const problems: ConfigProblem[] = []
  for (const [urgency, ladder] of Object.entries(value)) {
    const path = `escalation.${urgency}`
    if (!(URGENCIES as readonly string[]).includes(urgency)) {
      problems.push({ path, message: `is not an urgency (${URGENCIES.join(', ')})` })
      continue
    }
    if (!Array.isArray(ladder) || ladder.length === 0 || ladder.length > MAX_RUNGS) {
      problems.push({
        path,
        message: `must be a list of 1 to ${MAX_RUNGS} rungs like {"page": "backup", "atShare": 0.5}`,
      })
      continue
    }
    let previous = 0
    for (const [i, rung] of ladder.entries()) {
      const at = `${path}[${i}]`
      if (
        typeof rung !== 'object' ||
        rung === null ||
        Object.keys(rung).some((k) => k !== 'page' && k !== 'atShare')
      ) {
        problems.push({ path: at, message: 'must be an object with only "page" and "atShare"' })
        continue
      }
      const { page, atShare } = rung as Record<string, unknown>
      if (!(RUNG_PLACES as readonly unknown[]).includes(page))
        problems.push({ path: `${at}.page`, message: `must be one of ${RUNG_PLACES.join(', ')}` })
      if (typeof atShare !== 'number' || !Number.isFinite(atShare) || atShare < 0 || atShare > 1)
        problems.push({
          path: `${at}.atShare`,
          message: 'must be a number from 0 (on arrival) to 1 (at the acknowledgement deadline)',
        })
      else if (atShare < previous)
        problems.push({
          path: `${at}.atShare`,
          message: `must not be below the rung before it (${previous})`,
        })
      else previous = atShare
    }
  }
  return problems
}
