import { guard, typicallyAllowed } from './case-guards.ts'
import { type ConditionsOnUse, nextConditions } from './conditions.ts'
import type { PreservationLimit, RefusalGround, RequestType } from './constants.ts'
import {
  addPreserved,
  type Custodian,
  extendCustodian,
  extensionTarget,
  type Preservation,
  releaseCustodians,
  releaseOnWithdrawal,
  unreleased,
} from './custodians.ts'
import type { MlaDecision, NotExecutedReason } from './endings.ts'
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
import { OWN_TRANSITIONS } from './spontaneous-moves.ts'

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
  'mla-received',
  'mla-decided',
  'answered',
  'refused',
  'not-executed',
  'withdrawn',
  'closed',
] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

export type { Custodian, Preservation, PreservationPeriod } from './custodians.ts'

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
  /** The custodian not released whose period ends first (its period may have run out); undefined once all are released. */
  readonly preservation?: Preservation
  /** Every custodian's preserved data, in the order recorded, released ones included. */
  readonly custodians: readonly Custodian[]
  readonly pendingExtension?: {
    readonly requestedAt: string
    readonly reason: string
    readonly days?: number
    /** The custodian whose period the extension is for. */
    readonly providerReference?: string
  }
  readonly limitation?: { readonly limit: PreservationLimit; readonly details: string; readonly at: string }
  readonly openQuestions?: { readonly questions: string; readonly at: string }
  readonly disclosures: readonly (ThirdCountryDisclosure & {
    readonly eventId: string
    readonly at: string
  })[]
  readonly answer?: { readonly summary: string; readonly at: string }
  readonly refusal?: { readonly ground: RefusalGround; readonly explanation: string; readonly at: string }
  readonly notExecuted?: {
    readonly reason: NotExecutedReason
    readonly explanation: string
    readonly at: string
  }
  readonly mla?: { readonly reference: string; readonly authority?: string; readonly submittedAt: string }
  /** Art. 29(7): the central authority has the MLA request; preservation continues from `at`. */
  readonly mlaReceived?: {
    readonly authorityReference: string
    readonly mlaReference?: string
    readonly at: string
  }
  readonly mlaDecision?: { readonly decision: MlaDecision; readonly note: string; readonly at: string }
  /** Conditions on use stated by the requested side and the requester's answer (conditions.ts). */
  readonly conditions?: ConditionsOnUse
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

export interface Transition {
  readonly side: Side | 'either'
  readonly from: readonly CaseStatus[]
  /** The status the event leads to; omitted, the case keeps its status (a release, conditions). */
  readonly to?: CaseStatus
  /** Request types the event applies to; all when omitted. */
  readonly types?: readonly RequestType[]
}

const PRESERVING = ['preservation'] as const satisfies readonly RequestType[]
/** Every status but the final ones: a request can still be withdrawn from these. */
const OPEN: readonly CaseStatus[] = CASE_STATUSES.filter(
  (s) => !['answered', 'refused', 'not-executed', 'withdrawn', 'closed'].includes(s),
)
/** Where data may still be preserved: a custodian can be released from these. */
const PRESERVING_STATES: readonly CaseStatus[] = [
  'preserved',
  'partially-disclosed',
  'mla-submitted',
  'mla-received',
  'mla-decided',
]
/** Where the requested side may set conditions on use: before or with what it supplies. */
const SUPPLYING_STATES: readonly CaseStatus[] = [
  'acknowledged',
  'in-progress',
  'partially-disclosed',
  'answered',
]
/** Every status but the finished ones. */
const NOT_FINISHED: readonly CaseStatus[] = CASE_STATUSES.filter((s) => s !== 'withdrawn' && s !== 'closed')

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
  // From 'preserved' too: each further custodian gets its own record (custodians.ts).
  preserved: {
    side: 'requested',
    from: ['acknowledged', 'in-progress', 'partially-disclosed', 'preserved'],
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
  'not-executed': {
    side: 'requested',
    from: ['acknowledged', 'in-progress', 'needs-information', 'limitation-notified'],
    to: 'not-executed',
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
  'mla-received': {
    side: 'requested',
    from: ['preserved', 'partially-disclosed', 'mla-submitted'],
    to: 'mla-received',
    types: PRESERVING,
  },
  'mla-decided': { side: 'requested', from: ['mla-received'], to: 'mla-decided', types: PRESERVING },
  released: { side: 'requester', from: PRESERVING_STATES, types: PRESERVING },
  'conditions-stated': { side: 'requested', from: SUPPLYING_STATES },
  'conditions-accepted': { side: 'requester', from: NOT_FINISHED },
  'conditions-declined': { side: 'requester', from: NOT_FINISHED },
  withdrawn: { side: 'requester', from: OPEN, to: 'withdrawn' },
  closed: {
    side: 'either',
    from: [
      'preserved',
      'partially-disclosed',
      'mla-submitted',
      'mla-received',
      'mla-decided',
      'answered',
      'refused',
      'not-executed',
    ],
    to: 'closed',
  },
}

/** The transition of an event for a request type: its own table's (Art. 26), or the main one's. */
export function transitionOf(type: RequestType, kind: CaseEventKind): Transition | undefined {
  const own = OWN_TRANSITIONS[type]
  return own === undefined ? TRANSITIONS[kind] : own[kind]
}

function sideMatches(allowed: Side | 'either', side: Side): boolean {
  return allowed === 'either' || allowed === side
}

/**
 * Every event the given side could send now (table and guards both pass for a typical payload);
 * `now` (default: the case's last event) judges whether a custodian's period has expired.
 */
export function allowedMoves(c: Case, side?: Side, now: string = c.updatedAt): AllowedMove[] {
  const moves: AllowedMove[] = []
  for (const kind of Object.keys(TRANSITIONS) as CaseEventKind[]) {
    const t = transitionOf(c.type, kind)
    if (t === undefined || !t.from.includes(c.status) || (t.types !== undefined && !t.types.includes(c.type)))
      continue
    if (!typicallyAllowed(c, kind, now)) continue
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
    custodians: [],
    disclosures: [],
    links: request.relatedCases,
    history: [],
  }
}

function reduce(c: Case, e: CaseEvent): Case {
  const to = transitionOf(c.type, e.kind)!.to ?? c.status
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
    case 'preserved':
      return withCustodians(base, addPreserved(c.custodians, e))
    case 'released':
      return withCustodians(base, releaseCustodians(c.custodians, e))
    case 'withdrawn':
      return withCustodians(base, releaseOnWithdrawal(c.custodians, e.at))
    case 'partially-disclosed': {
      const { kind: _k, id, seq: _s, side: _d, at, ...disclosure } = e
      return { ...base, disclosures: [...c.disclosures, { ...disclosure, eventId: id, at }] }
    }
    case 'answered':
      return { ...base, answer: { summary: e.summary, at: e.at } }
    case 'refused':
      return { ...base, refusal: { ground: e.ground, explanation: e.explanation, at: e.at } }
    case 'not-executed':
      return { ...base, notExecuted: { reason: e.reason, explanation: e.explanation, at: e.at } }
    case 'extension-requested': {
      // a history from before custodian records names none: the extension was of the last one preserved
      const target =
        extensionTarget(c.custodians, e.providerReference) ??
        c.custodians.filter((k) => k.released === undefined).at(-1)
      return {
        ...base,
        pendingExtension: {
          requestedAt: e.at,
          reason: e.reason,
          ...(e.days !== undefined && { days: e.days }),
          ...(target !== undefined && { providerReference: target.providerReference }),
        },
      }
    }
    case 'extension-granted': {
      const { pendingExtension: _, ...rest } = base
      const period = { grantedDays: e.grantedDays, grantedAt: e.at, expiresAt: e.expiresAt }
      return withCustodians(rest, extendCustodian(c.custodians, extendedReference(c), period))
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
    case 'mla-received':
      return {
        ...base,
        mlaReceived: {
          authorityReference: e.authorityReference,
          at: e.at,
          ...(e.mlaReference !== undefined && { mlaReference: e.mlaReference }),
        },
      }
    case 'mla-decided':
      return { ...base, mlaDecision: { decision: e.decision, note: e.note, at: e.at } }
    case 'conditions-stated':
    case 'conditions-accepted':
    case 'conditions-declined': {
      const conditions = nextConditions(c.conditions, e)
      return conditions === undefined ? base : { ...base, conditions }
    }
    default:
      return base
  }
}

/** The case with its custodians replaced, and the preservation that ends first among those kept. */
function withCustodians<C extends Case>(c: C, custodians: readonly Custodian[]): C {
  const { preservation: _, ...rest } = c
  const first = unreleased(custodians)[0]
  return { ...rest, custodians, ...(first !== undefined && { preservation: first }) } as C
}

/** The custodian a pending extension is for. */
function extendedReference(c: Case): string {
  return c.pendingExtension?.providerReference ?? c.preservation!.providerReference
}

/**
 * Applies one case message to a case and returns the new case, or throws: `InvalidEventError` when
 * the message lacks data its kind needs, `IllegalTransitionError` when the state, the sender's side
 * or the request type does not allow it. Pure: the node appends the event to its ledger only when
 * this returns. Every rule applies, the later ones too (see `guard`): this is the check of a new step.
 */
export function applyEvent(c: Case, event: CaseEvent): Case {
  return apply(c, event, true)
}

function apply(c: Case, event: CaseEvent, strict: boolean): Case {
  const checked = validateEvent(event)
  if (!checked.ok) throw new InvalidEventError(checked.problems)
  const e = checked.value
  const t = transitionOf(c.type, e.kind)
  const refuse = (reason: string): never => {
    throw new IllegalTransitionError(c.id, c.status, e.kind, e.side, reason, allowedMoves(c))
  }
  if (c.history.some((seen) => seen.id === e.id)) refuse(`message ${e.id} was already applied`)
  if (t === undefined) return refuse(`it does not apply to a ${c.type} (nothing was asked)`)
  if (!sideMatches(t.side, e.side)) refuse(`only the ${t.side} side sends it`)
  if (t.types !== undefined && !t.types.includes(c.type)) refuse(`it does not apply to a ${c.type} request`)
  if (!t.from.includes(c.status)) refuse(`it is allowed only from: ${t.from.join(', ')}`)
  const blocked = guard(c, e, strict)
  if (blocked !== undefined) refuse(blocked)
  if (e.kind === 'extension-granted') {
    const ref = extendedReference(c)
    const current = (c.custodians.find((k) => k.providerReference === ref) ?? c.preservation!).current
      .expiresAt
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
 * `rejected` instead of thrown. Rules added after histories were recorded are not applied here, so
 * a stored history replays as it did when it was recorded.
 */
export function replayCase(opening: Case, events: readonly CaseEvent[]): Replay {
  const unique = new Map<string, CaseEvent>()
  for (const e of [...events].sort(compareEvents)) if (!unique.has(e.id)) unique.set(e.id, e)
  let c = opening
  const rejected: { event: CaseEvent; error: CasesError }[] = []
  for (const e of unique.values()) {
    try {
      c = apply(c, e, false)
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
