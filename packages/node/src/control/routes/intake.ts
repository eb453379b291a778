import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import {
  DRAFT_STATUSES,
  type DraftStatus,
  type IntakeAction,
  type IntakeStep,
  MAX_NOTE_LENGTH,
} from '../../intake/draft.ts'
import { CONTACTS, INVESTIGATORS, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject, requireString } from '../fields.ts'
import type { CaseDetail } from './cases.ts'

/** A draft in a list: what it is and where it stands, never its form. */
export interface DraftSummary {
  id: string
  /** The investigator who wrote it. */
  owner: string
  to: string
  /** The request type, from the form's schema (null: its stored copy cannot be read). */
  type: string | null
  urgency: string | null
  status: DraftStatus
  revision: number
  createdAt: string
  updatedAt: string
  /** The case its approval opened, and that case's status now. */
  caseId: string | null
  caseStatus: string | null
  /** Its stored contents could not be read at start: the status is the ledger's. */
  damaged: boolean
}

/** A draft with its form, every step (the reviewers' comments and reasons among them) and what may happen next. */
export interface DraftDetail extends DraftSummary {
  request: unknown
  steps: IntakeStep[]
  allowed: IntakeAction[]
}

/** What a draft's author sends to write or rewrite it. */
export interface DraftSubmission {
  to: string
  /** The request form, as `request send` takes it; the node lists every problem. */
  request: unknown
}

export interface DraftApproved {
  draft: DraftDetail
  caseId: string
  messageId: string
}

/** Parameters of a draft's route. */
type DraftParams = { params: { id: string } }

/** The reviewer's words: comments on a return, the reason of a refusal. */
function note(body: unknown, field: 'comments' | 'reason'): string {
  const b = bodyObject(body)
  const text = b[field]
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_NOTE_LENGTH)
    throw new ControlApiError(
      400,
      'ERR_FIELD',
      `${field}: must be text of 1 to ${MAX_NOTE_LENGTH} characters`,
      {
        details: { field },
      },
    )
  return text.trim()
}

function draftForm(body: unknown, toRequired: boolean): { to: string | undefined; request: unknown } {
  const b = bodyObject(body)
  const to =
    !toRequired && b.to === undefined
      ? undefined
      : requireString(b, 'to', isCountryCode, `must be ${COUNTRY_CODE_RULE}, like "FR"`)
  if (b.request === undefined)
    throw new ControlApiError(400, 'ERR_FIELD', 'request: the request form is missing', {
      details: { field: 'request' },
    })
  return { to, request: b.request }
}

/**
 * Domestic intake: the country's investigators draft requests, which a contact point reviews
 * and sends, returns with comments or refuses. An investigator reaches these routes only, and
 * through them only their own drafts and the cases those became.
 */
export const intakeRoutes = {
  create: route<{ body: DraftSubmission }, DraftDetail>()({
    method: 'POST',
    path: '/intake/drafts',
    roles: INVESTIGATORS,
    parse: ({ body }) => {
      const { to, request } = draftForm(body, true)
      return { to: to!, request }
    },
  }),
  /** An investigator's own drafts; every draft for a reviewer. `status` keeps one status. */
  list: route<{ query?: { status?: DraftStatus } }, { drafts: DraftSummary[] }>()({
    method: 'GET',
    path: '/intake/drafts',
    roles: [...INVESTIGATORS, ...CONTACTS],
    parse: ({ query }) => {
      const status = query.get('status') ?? undefined
      if (status !== undefined && !(DRAFT_STATUSES as readonly string[]).includes(status))
        throw new ControlApiError(400, 'ERR_FIELD', `status: must be one of ${DRAFT_STATUSES.join(', ')}`, {
          details: { field: 'status' },
        })
      return { status: status as DraftStatus | undefined }
    },
  }),
  show: route<DraftParams, DraftDetail>()({
    method: 'GET',
    path: '/intake/drafts/:id',
    roles: [...INVESTIGATORS, ...CONTACTS],
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
  /** A new version of the form (and country), while the draft is a draft or returned. */
  revise: route<DraftParams & { body: { to?: string; request: unknown } }, DraftDetail>()({
    method: 'POST',
    path: '/intake/drafts/:id/revise',
    roles: INVESTIGATORS,
    parse: ({ params, body }) => ({ id: params.id ?? '', ...draftForm(body, false) }),
  }),
  /** Hands the draft to the contact points for review. */
  submit: route<DraftParams, DraftDetail>()({
    method: 'POST',
    path: '/intake/drafts/:id/submit',
    roles: INVESTIGATORS,
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
  /** Sends a submitted draft to its country as a normal request: it becomes a case. */
  approve: route<DraftParams, DraftApproved>()({
    method: 'POST',
    path: '/intake/drafts/:id/approve',
    roles: CONTACTS,
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
  /** Gives a submitted draft back to its author with comments, to revise and submit again. */
  return: route<DraftParams & { body: { comments: string } }, DraftDetail>()({
    method: 'POST',
    path: '/intake/drafts/:id/return',
    roles: CONTACTS,
    parse: ({ params, body }) => ({ id: params.id ?? '', comments: note(body, 'comments') }),
  }),
  /** Refuses a submitted draft for good, with the reason. */
  refuse: route<DraftParams & { body: { reason: string } }, DraftDetail>()({
    method: 'POST',
    path: '/intake/drafts/:id/refuse',
    roles: CONTACTS,
    parse: ({ params, body }) => ({ id: params.id ?? '', reason: note(body, 'reason') }),
  }),
  /** A case one of the caller's drafts became, with the counterpart's answers: a case they did not draft is 404. */
  case: route<{ params: { id: string } }, CaseDetail>()({
    method: 'GET',
    path: '/intake/cases/:id',
    roles: INVESTIGATORS,
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
}
