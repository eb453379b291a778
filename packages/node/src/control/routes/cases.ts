import type { AllowedMove, Case, CaseEvent, FollowUp, KeyKind, Side } from '@pocnet/cases'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import type {
  CaseMatch,
  CaseSummary,
  DamagedCase,
  DamagedEntry,
  RepeatedIdentifier,
} from '../../casebook/index.ts'
import type { PageView } from '../../duty/pager.ts'
import type { FeedEvent } from '../../feed.ts'
import type { AttemptRecord } from '../../outbox-attempts.ts'
import { CONTACTS, EVERY_ROLE, type NoRequest, nothing, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject, optionalKey, requireString } from '../fields.ts'
import type { CounterpartFinding } from './counterpart.ts'
import { parseSearch } from './search.ts'

/** `POST /cases`: a request form to send to another member country. */
export interface CaseSubmission {
  to: string
  /** The request form; the node checks every field and answers with every problem. */
  request: unknown
  /** A retry with the same key returns the first case, never a second one. */
  idempotencyKey?: string
}

export interface CaseOpened {
  caseId: string
  messageId: string
  repeated: boolean
  /** The request's identifiers that another open case of this node holds too. */
  repeatedIdentifiers: RepeatedIdentifier[]
  /** What the checks against the counterpart's directory record warn of (the request was sent). */
  warnings?: CounterpartFinding[]
}

/** What became of a message this node sent on a case (outbox and ledger, docs/operations.md). */
export interface MessageDelivery {
  messageId: string
  /** The envelope kind: case-request or case-event. */
  kind: string
  /** queued: still being tried; unreadable: its stored envelope no longer opens, so it is not tried. */
  state: 'queued' | 'delivered' | 'refused' | 'expired' | 'unreadable'
  queuedAt: number
  /** Delivered: when the counterpart's receipt says it received it. */
  receivedAt: number | null
  /** Refused: the counterpart's reason. */
  reason: string | null
  /** Queued: attempts since the daemon started, the latest failures, the last error and the next try. */
  attempts: number
  recentAttempts: AttemptRecord[]
  lastError: string | null
  nextAttemptAt: number | null
}

export interface CaseDetail {
  case: Case
  /** This node's side of the case. */
  side: Side
  events: readonly CaseEvent[]
  /** What may happen next, by either side. */
  allowedMoves: AllowedMove[]
  /** The acknowledgement deadline while none has come. */
  ackDueAt: string | null
  /** The answer deadline while an answer is owed. */
  answerDueAt: string | null
  nextAlert: string | null
  /** Whether the data supplied may be used: no conditions on use, or accepted ones (docs/endings.md). */
  dataUsable: boolean
  /** Who was paged about the case, and when (docs/operations.md, Escalation). */
  pages: PageView[]
  /** The messages this node sent on the case, oldest first, with what became of each. */
  outgoing: MessageDelivery[]
  /** Messages of the case whose stored payload cannot be read: the case is shown without them. */
  damaged: DamagedEntry[]
  /** The request's identifiers that another open case of this node holds too. */
  repeatedIdentifiers: RepeatedIdentifier[]
}

/** `GET /search`: the cases found by a reference or an identifier. */
export interface CaseSearchResult {
  query: string
  kind: KeyKind | null
  cases: CaseMatch[]
}

/** `GET /cases`: the cases held, and those with messages that cannot be read (never dropped). */
export interface CaseList {
  cases: CaseSummary[]
  damaged: DamagedCase[]
}

/**
 * A step of this node's side: its `kind` and the fields of that kind (docs/cases.md); the node
 * sets `id`, `seq`, `at` and `side`.
 */
export type CaseStep = { kind: string } & Record<string, unknown>

/** The fields the node sets on every step, which a client leaves out. */
const SET_BY_THE_NODE = ['id', 'seq', 'at', 'side']

/** The `details` of a 409 ERR_ILLEGAL_TRANSITION: the case's status, this node's side, what either side may send. */
export interface IllegalStepDetails {
  status: string
  side: string
  allowed: readonly AllowedMove[]
}

export interface StepSent {
  /** The case's status after the step. */
  status: string
  messageId: string
}

/** A batch of the event feed, from a cursor on. */
export interface FeedBatch {
  events: FeedEvent[]
  /** Where the next poll starts. */
  cursor: number
  /**
   * When the daemon started: the feed lives in memory, so cursors restart with the daemon; a
   * client seeing a new epoch knows to re-read instead of trusting its cursor.
   */
  epoch: number
}

/** The longest a poll of the feed waits for an event (a longer `waitMs` is cut to it). */
export const FEED_MAX_WAIT_MS = 25_000

/** Requests between points of contact, each followed as a case; and the feed of what happens to them. */
export const caseRoutes = {
  open: route<{ body: CaseSubmission }, CaseOpened>()({
    method: 'POST',
    path: '/cases',
    roles: CONTACTS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const to = requireString(b, 'to', isCountryCode, `must be ${COUNTRY_CODE_RULE}, like "FR"`)
      return { to, request: b.request, idempotencyKey: optionalKey(b) }
    },
  }),
  list: route<NoRequest, CaseList>()({
    method: 'GET',
    path: '/cases',
    roles: EVERY_ROLE,
    parse: nothing,
  }),
  detail: route<{ params: { id: string } }, CaseDetail>()({
    method: 'GET',
    path: '/cases/:id',
    roles: EVERY_ROLE,
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
  step: route<{ params: { id: string }; body: CaseStep }, StepSent>()({
    method: 'POST',
    path: '/cases/:id/events',
    roles: CONTACTS,
    parse: ({ params, body }) => {
      const fields = bodyObject(body)
      for (const reserved of SET_BY_THE_NODE) {
        if (reserved in fields)
          throw new ControlApiError(400, 'ERR_FIELD', `${reserved}: is set by the node, leave it out`)
      }
      return { id: params.id ?? '', fields }
    },
  }),
  /** The Art. 30 follow-up request to the third country a disclosure named (default: the latest). */
  followUp: route<{ params: { id: string }; body?: { country?: string } }, FollowUp>()({
    method: 'POST',
    path: '/cases/:id/followup',
    roles: CONTACTS,
    parse: ({ params, body }) => {
      const b = body === undefined ? {} : bodyObject(body)
      const country =
        b.country === undefined
          ? undefined
          : requireString(b, 'country', isCountryCode, `must be ${COUNTRY_CODE_RULE}, like "NL"`)
      return { id: params.id ?? '', country }
    },
  }),
  /** Cases by the requester's reference or an identifier, normalised (docs/cases.md, Finding cases). */
  search: route<{ query: { q: string; type?: string } }, CaseSearchResult>()({
    method: 'GET',
    path: '/search',
    roles: EVERY_ROLE,
    parse: ({ query }) => parseSearch(query),
  }),
  /** The identifiers of a request form, not sent, that an open case holds (`request send --check`). */
  repeats: route<{ body: { request: unknown } }, { repeatedIdentifiers: RepeatedIdentifier[] }>()({
    method: 'POST',
    path: '/search/repeats',
    roles: CONTACTS,
    parse: ({ body }) => ({ request: bodyObject(body).request }),
  }),
  /** Long poll: the events after `after` (default: from now), waiting up to `waitMs` for one. */
  feed: route<{ query?: { after?: number; waitMs?: number } }, FeedBatch>()({
    method: 'GET',
    path: '/events',
    roles: EVERY_ROLE,
    parse: ({ query }) => {
      const afterText = query.get('after')
      const after = afterText === null ? undefined : Number(afterText)
      const waitMs = Math.min(Math.max(Number(query.get('waitMs') ?? 0), 0), FEED_MAX_WAIT_MS)
      if ((after !== undefined && !Number.isSafeInteger(after)) || Number.isNaN(waitMs)) {
        throw new ControlApiError(400, 'ERR_FIELD', 'after and waitMs must be whole numbers')
      }
      return { after, waitMs }
    },
  }),
}
