import { type CborValue, decode, encode } from '@pocnet/protocol/cbor'

/**
 * Envelope kinds of reachability drills (docs/protocol.md §11): the drill itself, then the
 * counterpart's answer, an officer's acknowledgement or the node's refusal. None opens a case.
 */
export const DRILL_KIND = 'drill'
export const DRILL_ACK_KIND = 'drill.ack'
export const DRILL_REFUSED_KIND = 'drill.refused'
export const DRILL_KINDS: readonly string[] = [DRILL_KIND, DRILL_ACK_KIND, DRILL_REFUSED_KIND]

const PAYLOAD_VERSION = 1
/** A drill's id is its envelope's message id, hex. */
const DRILL_ID = /^[0-9a-f]{32}$/

/** What a drill envelope carries: a marker and nothing else; the envelope's id names the drill. */
export interface DrillPayload {
  type: 'drill'
}

/** The answer to a drill: acknowledged by an officer, or refused by a node that takes no drills. */
export interface DrillAnswerPayload {
  type: 'ack' | 'refused'
  /** The drill answered: its message id, hex. */
  drill: string
  /** When the officer acknowledged, or the node refused (ms since the epoch, its clock). */
  at: number
}

/** Whether an envelope of `kind` is drill traffic. */
export function isDrillKind(kind: unknown): boolean {
  return typeof kind === 'string' && DRILL_KINDS.includes(kind)
}

export function encodeDrill(): Uint8Array {
  return encode({ v: PAYLOAD_VERSION, drill: true } satisfies Record<string, CborValue>)
}

export function encodeAnswer(answer: DrillAnswerPayload): Uint8Array {
  return encode({ v: PAYLOAD_VERSION, drill: answer.drill, at: answer.at })
}

/** The kind of envelope an answer travels in. */
export function answerKind(type: DrillAnswerPayload['type']): string {
  return type === 'ack' ? DRILL_ACK_KIND : DRILL_REFUSED_KIND
}

/** The payload of a drill envelope of `kind`, or undefined for bytes of another version or shape. */
export function decodeDrillPayload(
  kind: string,
  bytes: Uint8Array,
): DrillPayload | DrillAnswerPayload | undefined {
  let v: Record<string, CborValue>
  try {
    v = decode(bytes) as Record<string, CborValue>
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null || v.v !== PAYLOAD_VERSION) return undefined
  if (kind === DRILL_KIND) return v.drill === true ? { type: 'drill' } : undefined
  if (kind !== DRILL_ACK_KIND && kind !== DRILL_REFUSED_KIND) return undefined
  if (typeof v.drill !== 'string' || !DRILL_ID.test(v.drill)) return undefined
  if (typeof v.at !== 'number' || !Number.isSafeInteger(v.at) || v.at < 0) return undefined
  return { type: kind === DRILL_ACK_KIND ? 'ack' : 'refused', drill: v.drill, at: v.at }
}
