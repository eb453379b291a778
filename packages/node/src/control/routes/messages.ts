import type { CborValue } from '@pocnet/protocol'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import { CASE_EVENT_KIND, CASE_REQUEST_KIND } from '../../casebook/payload.ts'
import { isDrillKind } from '../../drills/payload.ts'
import type { OutboxItem } from '../../outbox.ts'
import { CONTACTS, type NoRequest, nothing, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { BASE64, bodyObject, optionalKey, requireString } from '../fields.ts'

/** `POST /messages`: a message outside any case, to a member country. */
export interface MessageSubmission {
  /** The member country it goes to, e.g. "FR". */
  to: string
  caseId: string
  /** Lower-case kind; the case kinds are reserved for `/cases`. */
  kind: string
  /** The payload bytes, base64. */
  payload: string
  /** A retry with the same key returns the first submission's answer. */
  idempotencyKey?: string
}

export interface MessageQueued {
  messageId: string
  queuedAt: number
  /** The idempotency key named an earlier submission: this is its answer, nothing new was queued. */
  repeated: boolean
}

/** An outbox item as the API shows it: the envelope's hash in hex, not the envelope. */
export type OutboxItemView = Omit<OutboxItem, 'envelope' | 'envelopeHash' | 'lastError'> & {
  envelopeHash: string
  lastError: string | null
}

/** A received message, from its ledger entry. */
export interface InboxMessage {
  messageId?: string
  /** The case's status now for a case message, else "received". */
  state: string
  from?: string
  caseId: string
  kind: string
  /** When the sender created it, as its envelope says. */
  createdAt: CborValue | null
  receivedAt: number
  /** The ledger entry recording its receipt. */
  seq: number
}

/** Messages outside the case workflow, and what waits to go out. */
export const messageRoutes = {
  submit: route<{ body: MessageSubmission }, MessageQueued>()({
    method: 'POST',
    path: '/messages',
    roles: CONTACTS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const to = requireString(b, 'to', isCountryCode, `must be ${COUNTRY_CODE_RULE}, like "FR"`)
      const caseId = requireString(
        b,
        'caseId',
        /^[^\p{Cc}]{0,128}$/u,
        'must be up to 128 printable characters',
      )
      const kind = requireString(b, 'kind', /^[a-z][a-z0-9.-]{0,63}$/, 'must be a lower-case message kind')
      // case traffic goes through /cases, which checks the request or the event and the case's state
      if (kind === CASE_REQUEST_KIND || kind === CASE_EVENT_KIND)
        throw new ControlApiError(400, 'ERR_FIELD', `kind: '${kind}' is reserved for case messages`, {
          details: { field: 'kind' },
          hint: 'send case requests with `pocnet request send` and case messages with `pocnet case ...`',
        })
      // drills and their answers are the node's own: made by `pocnet drills run` and `drills ack`
      if (isDrillKind(kind))
        throw new ControlApiError(400, 'ERR_FIELD', `kind: '${kind}' is reserved for reachability drills`, {
          details: { field: 'kind' },
          hint: 'run a drill with `pocnet drills run` and acknowledge one with `pocnet drills ack`',
        })
      const payload = requireString(b, 'payload', BASE64, 'must be base64')
      return {
        to,
        caseId,
        kind,
        payload: new Uint8Array(Buffer.from(payload, 'base64')),
        idempotencyKey: optionalKey(b),
      }
    },
  }),
  outbox: route<NoRequest, { items: OutboxItemView[] }>()({
    method: 'GET',
    path: '/outbox',
    roles: CONTACTS,
    parse: nothing,
  }),
  inbox: route<NoRequest, { messages: InboxMessage[] }>()({
    method: 'GET',
    path: '/inbox',
    roles: CONTACTS,
    parse: nothing,
  }),
}
