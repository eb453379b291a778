import {
  DUAL_CRIMINALITY_EXEMPT_ARTICLES,
  type PreservationLimit,
  type RefusalGround,
  type RequestType,
} from './constants.ts'
import {
  type AllowedMove,
  CasesError,
  IllegalTransitionError,
  InvalidEventError,
  InvalidRequestError,
} from './errors.ts'
import type { CaseEvent, CaseEventKind, Side, ThirdCountryDisclosure } from './events.ts'
import { expiryProblem, validateEvent } from './events.ts'
import { checkCountry, checkTimestamp } from './formats.ts'
import type { Problem } from './problems.ts'
import { type CaseRequest, type RelatedCase, requestTypeOf, validateRequest } from './requests.ts'

export const CASE_STATUSES = [
  'sent',
  'delivered',
  'acknowledged',
  'in-progress',
  'needs-information',
  'limitation-notified',
  'preserved',
  'extension-requested',
  'partially-disclosed',
  'mla-submitted',
  'answered',
  'refused',
  'withdrawn',
  'closed',
] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

/** One period of preservation: the first grant or an extension, as the requested side recorded it. */
export interface PreservationPeriod {
  readonly grantedDays: number
  readonly grantedAt: string
  readonly expiresAt: string
}

export interface Preservation {
  readonly providerReference: string
  /** The period in force now: the last grant or extension. */
  readonly current: PreservationPeriod
  readonly periods: readonly PreservationPeriod[]
}

/** Both sides' view of one request and everything that happened to it since. Immutable. */
export interface Case {
  readonly id: string
  readonly type: RequestType
  readonly request: CaseRequest
  /** ISO 3166 codes of the two countries. */
  readonly requester: string
  readonly requested: string
  readonly status: CaseStatus
  readonly openedAt: string
  readonly updatedAt: string
  /** Highest Lamport `seq` applied; a new event from this view carries `seq + 1`. */
  readonly seq: number
  readonly deliveredAt?: string
  readonly acknowledgement?: { readonly by: string; readonly role?: string; readonly at: string }
  readonly preservation?: Preservation
  readonly pendingExtension?: {
    readonly requestedAt: string
    readonly reason: string
    readonly days?: number
  }
  readonly limitation?: { readonly limit: PreservationLimit; readonly details: string; readonly at: string }
  readonly openQuestions?: { readonly questions: string; readonly at: string }
  readonly disclosures: readonly (ThirdCountryDisclosure & {
    readonly eventId: string
    readonly at: string
  })[]
  readonly answer?: { readonly summary: string; readonly at: string }
  readonly refusal?: { readonly ground: RefusalGround; readonly explanation: string; readonly at: string }
  readonly mla?: { readonly reference: string; readonly authority?: string; readonly submittedAt: string }
  /** Earlier cases this one refers to (extension, Art. 30 follow-up), from the request. */
  readonly links: readonly RelatedCase[]
  /** The events applied, in the order applied. */
  readonly history: readonly CaseEvent[]
}

/** What the requester's node knows when it creates a case: the validated form and who it goes to. */
export interface CaseOpening {
  readonly caseId: string
  readonly requester: string
  readonly requested: string
  /** When the request was sent, with an offset; stored in UTC. */
  readonly openedAt: string
  readonly request: unknown
}

interface Transition {
  readonly side: Side | 'either'
  readonly from: readonly CaseStatus[]
  readonly to: CaseStatus
  /** Request types the event applies to; all when omitted. */
  readonly types?: readonly RequestType[]
}

const PRESERVING = ['preservation'] as const satisfies readonly RequestType[]
/** Every status but the final ones: a request can still be withdrawn from these. */
const OPEN: readonly CaseStatus[] = CASE_STATUSES.filter(
  (s) => !['answered', 'refused', 'withdrawn', 'closed'].includes(s),
)

/** The whole state machine: for each event, who may send it, from which states, and where it leads. */
export const TRANSITIONS: Record<CaseEventKind, Transition> = {
  delivered: { side: 'requested', from: ['sent'], to: 'delivered' },
  acknowledged: { side: 'requested', from: ['delivered'], to: 'acknowledged' },
  'in-progress': { side: 'requested', from: ['acknowledged'], to: 'in-progress' },
  'information-requested': {
    side: 'requested',
    from: ['acknowledged', 'in-progress'],
    to: 'needs-information',
  },
  'information-provided': { side: 'requester', from: ['needs-information'], to: 'in-progress' },
  'limitation-notified': {
    side: 'requested',
    from: ['acknowledged', 'in-progress'],
    to: 'limitation-notified',
    types: PRESERVING,
  },
  'proceed-confirmed': { side: 'requester', from: ['limitation-notified'], to: 'in-progress' },
  preserved: {
    side: 'requested',
    from: ['acknowledged', 'in-progress', 'partially-disclosed'],
    to: 'preserved',
    types: PRESERVING,
  },
  // A path can cross several third countries (Art. 30(1)): one disclosure each, one after another.
  'partially-disclosed': {
    side: 'requested',
    from: ['acknowledged', 'in-progress', 'preserved', 'partially-disclosed'],
    to: 'partially-disclosed',
    types: ['preservation', 'traffic-data-disclosure'],
  },
  answered: { side: 'requested', from: ['acknowledged', 'in-progress'], to: 'answered' },
  refused: {
    side: 'requested',
    from: ['acknowledged', 'in-progress', 'needs-information', 'limitation-notified'],
    to: 'refused',
  },
  'extension-requested': {
    side: 'requester',
    from: ['preserved', 'partially-disclosed'],
    to: 'extension-requested',
    types: PRESERVING,
  },
  'extension-granted': { side: 'requested', from: ['extension-requested'], to: 'preserved' },
  'extension-refused': { side: 'requested', from: ['extension-requested'], to: 'preserved' },
  'mla-submitted': {
    side: 'requester',
    from: ['preserved', 'extension-requested', 'partially-disclosed'],
    to: 'mla-submitted',
    types: PRESERVING,
  },
  withdrawn: { side: 'requester', from: OPEN, to: 'withdrawn' },
  closed: {
    side: 'either',
    from: ['preserved', 'partially-disclosed', 'mla-submitted', 'answered', 'refused'],
    to: 'closed',
  },
}

/** A state-specific condition beyond the table; returns why the event is not allowed, or undefined. */
function guard(c: Case, event: CaseEvent): string | undefined {
  switch (event.kind) {
    case 'extension-requested':
    case 'mla-submitted':
      if (c.preservation === undefined) return 'nothing has been preserved yet'
      // Art. 29(7) continues a preservation still in force; after its end there is nothing to
      // extend or to keep, and recording either would stop the expiry alerts
      if (Date.parse(event.at) >= Date.parse(c.preservation.current.expiresAt)) {
        return `the preservation expired at ${c.preservation.current.expiresAt}; send a new preservation request`
      }
      return undefined
    case 'refused': {
      const articles =
        c.request.schema === 'pocnet/preservation/v1' ? (c.request.offence.conventionArticles ?? []) : []
      const exempt = articles.filter((a) =>
        (DUAL_CRIMINALITY_EXEMPT_ARTICLES as readonly number[]).includes(a),
      )
      if (event.ground === 'dual-criminality-reservation' && exempt.length > 0) {
        return `Art. 29(4) does not allow a dual-criminality refusal for an offence under Art. ${exempt.join(', ')}`
      }
      // Art. 30(2) allows withholding traffic data only for a political offence or essential interests
      if (event.ground === 'dual-criminality-reservation' && c.type === 'traffic-data-disclosure') {
        return 'Art. 30(2) allows no dual-criminality refusal of a traffic-data disclosure'
      }
      return undefined
    }
    default:
      return undefined
  }
}

function sideMatches(allowed: Side | 'either', side: Side): boolean {
  return allowed === 'either' || allowed === side
}

/** Every event the given side could send now (table and guards both pass for a typical payload). */
export function allowedMoves(c: Case, side?: Side): AllowedMove[] {
  const moves: AllowedMove[] = []
  for (const [kind, t] of Object.entries(TRANSITIONS) as [CaseEventKind, Transition][]) {
    if (!t.from.includes(c.status) || (t.types !== undefined && !t.types.includes(c.type))) continue
    if ((kind === 'extension-requested' || kind === 'mla-submitted') && c.preservation === undefined) continue
    for (const s of t.side === 'either' ? (['requester', 'requested'] as const) : [t.side]) {
      if (side === undefined || s === side) moves.push({ kind, side: s })
    }
  }
  return moves
}

/** Creates the case the requester sends: the request is validated again, whoever built it. */
export function openCase(opening: CaseOpening): Case {
  const problems: Problem[] = []
  const validated = validateRequest(opening.request)
  if (!validated.ok) problems.push(...validated.problems)
  for (const key of ['requester', 'requested'] as const) {
    const checked = checkCountry(opening[key])
    if (!checked.ok) problems.push({ path: key, rule: 'format', message: checked.reason })
  }
  if (opening.requester === opening.requested) {
    problems.push({
      path: 'requested',
      rule: 'consistency',
      message: 'a country cannot send a request to itself',
    })
  }
  const opened = checkTimestamp(opening.openedAt)
  if (!opened.ok) problems.push({ path: 'openedAt', rule: 'format', message: opened.reason })
  if (opening.caseId.trim() === '')
    problems.push({ path: 'caseId', rule: 'required', message: 'is required' })
  if (problems.length > 0 || !validated.ok || !opened.ok) throw new InvalidRequestError(problems)
  const request = validated.value
  return {
    id: opening.caseId,
    type: requestTypeOf(request),
    request,
    requester: opening.requester,
    requested: opening.requested,
    status: 'sent',
    openedAt: opened.value.utc,
    updatedAt: opened.value.utc,
    seq: 0,
    disclosures: [],
    links: request.relatedCases,
    history: [],
  }
}

function reduce(c: Case, e: CaseEvent): Case {
  const to = TRANSITIONS[e.kind].to
  const base = { ...c, status: to, updatedAt: e.at, seq: Math.max(c.seq, e.seq), history: [...c.history, e] }
  switch (e.kind) {
    case 'delivered':
      return { ...base, deliveredAt: e.at }
    case 'acknowledged':
      return {
        ...base,
        acknowledgement: { by: e.by, at: e.at, ...(e.role !== undefined && { role: e.role }) },
      }
    case 'information-requested':
      return { ...base, openQuestions: { questions: e.questions, at: e.at } }
    case 'information-provided': {
      const { openQuestions: _, ...rest } = base
      return rest
    }
    case 'limitation-notified':
      return { ...base, limitation: { limit: e.limit, details: e.details, at: e.at } }
    case 'preserved': {
      const period = { grantedDays: e.grantedDays, grantedAt: e.at, expiresAt: e.expiresAt }
      const periods = [...(c.preservation?.periods ?? []), period]
      return { ...base, preservation: { providerReference: e.providerReference, current: period, periods } }
    }
    case 'partially-disclosed': {
      const { kind: _k, id, seq: _s, side: _d, at, ...disclosure } = e
      return { ...base, disclosures: [...c.disclosures, { ...disclosure, eventId: id, at }] }
    }
    case 'answered':
      return { ...base, answer: { summary: e.summary, at: e.at } }
    case 'refused':
      return { ...base, refusal: { ground: e.ground, explanation: e.explanation, at: e.at } }
    case 'extension-requested':
      return {
        ...base,
        pendingExtension: {
          requestedAt: e.at,
          reason: e.reason,
          ...(e.days !== undefined && { days: e.days }),
        },
      }
    case 'extension-granted': {
      const { pendingExtension: _, ...rest } = base
      const preservation = c.preservation!
      const period = { grantedDays: e.grantedDays, grantedAt: e.at, expiresAt: e.expiresAt }
      return {
        ...rest,
        preservation: { ...preservation, current: period, periods: [...preservation.periods, period] },
      }
    }
    case 'extension-refused': {
      const { pendingExtension: _, ...rest } = base
      return rest
    }
    case 'mla-submitted':
      return {
        ...base,
        mla: {
          reference: e.mlaReference,
          submittedAt: e.at,
          ...(e.authority !== undefined && { authority: e.authority }),
        },
      }
    default:
      return base
  }
}

/**
 * Applies one case message to a case and returns the new case, or throws: `InvalidEventError` when
 * the message lacks data its kind needs, `IllegalTransitionError` when the state, the sender's side
 * or the request type does not allow it. Pure: the node appends the event to its ledger only when
 * this returns.
 */
export function applyEvent(c: Case, event: CaseEvent): Case {
  const checked = validateEvent(event)
  if (!checked.ok) throw new InvalidEventError(checked.problems)
  const e = checked.value
  const t = TRANSITIONS[e.kind]
  const refuse = (reason: string): never => {
    throw new IllegalTransitionError(c.id, c.status, e.kind, e.side, reason, allowedMoves(c))
  }
  if (c.history.some((seen) => seen.id === e.id)) refuse(`message ${e.id} was already applied`)
  if (!sideMatches(t.side, e.side)) refuse(`only the ${t.side} side sends it`)
  if (t.types !== undefined && !t.types.includes(c.type)) refuse(`it does not apply to a ${c.type} request`)
  if (!t.from.includes(c.status)) refuse(`it is allowed only from: ${t.from.join(', ')}`)
  const blocked = guard(c, e)
  if (blocked !== undefined) refuse(blocked)
  if (e.kind === 'extension-granted') {
    const current = c.preservation!.current.expiresAt
    const from = Date.parse(current) > Date.parse(e.at) ? current : e.at
    const problem = expiryProblem(from, e.expiresAt, e.grantedDays)
    if (problem !== undefined) throw new InvalidEventError([problem])
  }
  return reduce(c, e)
}

export interface Replay {
  readonly case: Case
  /** Events that the canonical order makes illegal (e.g. a preservation that crossed a withdrawal). */
  readonly rejected: readonly { readonly event: CaseEvent; readonly error: CasesError }[]
}

const sideRank = (side: Side) => (side === 'requester' ? 0 : 1)

/** The order both sides agree on: Lamport `seq`, then time, then side, then message id. */
export function compareEvents(a: CaseEvent, b: CaseEvent): number {
  return (
    a.seq - b.seq ||
    Date.parse(a.at) - Date.parse(b.at) ||
    sideRank(a.side) - sideRank(b.side) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

/**
 * Rebuilds a case from its opening and every message either side has, received in any order.
 * Both nodes holding the same messages compute the same case: messages are deduplicated by id,
 * sorted by {@link compareEvents} and applied; those the sorted order makes illegal are listed in
 * `rejected` instead of thrown.
 */
export function replayCase(opening: Case, events: readonly CaseEvent[]): Replay {
  const unique = new Map<string, CaseEvent>()
  for (const e of [...events].sort(compareEvents)) if (!unique.has(e.id)) unique.set(e.id, e)
  let c = opening
  const rejected: { event: CaseEvent; error: CasesError }[] = []
  for (const e of unique.values()) {
    try {
      c = applyEvent(c, e)
    } catch (error) {
      if (!(error instanceof CasesError)) throw error
      rejected.push({ event: e, error })
    }
  }
  return { case: c, rejected }
}

/** True when nothing more can happen to the case (or to a summary of it: the status decides). */
export function isFinished(c: { readonly status: string }): boolean {
  return c.status === 'withdrawn' || c.status === 'closed'
}
