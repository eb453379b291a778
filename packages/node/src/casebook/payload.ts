import { type CborValue, decode, encode } from '@pocnet/protocol/cbor'

/** Envelope kinds of case traffic: the opening request, then every later step. */
export const CASE_REQUEST_KIND = 'case-request'
export const CASE_EVENT_KIND = 'case-event'
const PAYLOAD_VERSION = 1

/** What a case envelope carries: the request that opens a case, or one later step. */
export type CasePayload =
  | { type: 'request'; caseId: string; openedAt: string; request: unknown }
  | { type: 'event'; caseId: string; event: unknown }

export type RequestPayload = Extract<CasePayload, { type: 'request' }>

/** Whether an envelope of `kind` is case traffic. */
export function isCaseKind(kind: unknown): boolean {
  return kind === CASE_REQUEST_KIND || kind === CASE_EVENT_KIND
}

/** JSON values only: drops `undefined` (CBOR has no such thing in pocnet's subset). */
function plain(value: unknown): CborValue {
  return JSON.parse(JSON.stringify(value)) as CborValue
}

/** The deterministic CBOR of a payload, with its version. */
export function encodePayload(payload: CasePayload): Uint8Array {
  return encode(plain({ v: PAYLOAD_VERSION, ...payload }))
}

/** The payload `bytes` hold, or undefined for bytes of another version or shape. */
export function decodePayload(bytes: Uint8Array): CasePayload | undefined {
  try {
    const v = decode(bytes) as Record<string, CborValue>
    if (v.v !== PAYLOAD_VERSION || typeof v.caseId !== 'string') return undefined
    if (v.type === 'request' && typeof v.openedAt === 'string') {
      return { type: 'request', caseId: v.caseId, openedAt: v.openedAt, request: v.request }
    }
    if (v.type === 'event') return { type: 'event', caseId: v.caseId, event: v.event }
    return undefined
  } catch {
    return undefined
  }
}
