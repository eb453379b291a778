import { CborReader, type CborValue, decode, encode } from '@pocnet/protocol/cbor'
import {
  COUNTRY_CODE_RULE,
  ID_TEXT_RULE,
  isCountryCode,
  isIdText,
  isUserName,
  USER_NAME_RULE,
} from '@pocnet/protocol/formats'
import { HASH_LENGTH, MAX_BLOB_REFS, MAX_ENTRY_BYTES } from './constants.ts'
import { InvalidEntryError } from './errors.ts'

/** What happened. docs/ledger.md says when the node appends each kind. */
export const ENTRY_KINDS = [
  'message-sent',
  'message-received',
  'receipt',
  'delivery-failed',
  'acknowledged',
  'case-state-changed',
  'intake-changed',
  'directory-changed',
  'roster-changed',
  'key-action',
  'key-rotation',
  'admin-action',
  'auditor-access',
  'equivocation',
  'attachment-stored',
  'attachment-delivered',
] as const

export type EntryKind = (typeof ENTRY_KINDS)[number]

/** A business event as a caller hands it to the ledger; the ledger adds `seq` and `time`. */
export interface LedgerEvent {
  kind: EntryKind
  /**
   * Who did it: `user:<name>` (a local user, the name as `isUserName` takes it), `country:<CC>`
   * (a peer country) or `node`.
   */
  actor: string
  caseId?: string
  /** ISO 3166-1 alpha-2 code of the peer country the event concerns. */
  counterpart?: string
  messageId?: string
  /** SHA-256 hashes of the blobs (message or attachment bytes) the event refers to. */
  blobs?: Uint8Array[]
  /** Small kind-specific facts (new case state, reason code, …); never message contents. */
  detail?: { [key: string]: CborValue }
}

/** An entry as stored: the event, its position in the log and the time the ledger took it. */
export interface LedgerEntry extends LedgerEvent {
  /** Sequence number, equal to the entry's leaf index. */
  seq: number
  /** Milliseconds since the Unix epoch, UTC; never less than the previous entry's. */
  time: number
  blobs: Uint8Array[]
  /**
   * SHA-256 of each blob's bytes as stored (sealed, docs/ledger.md §4), in the order of `blobs`:
   * lets an auditor without the node key check the stored bytes. Absent in entries written before
   * it existed, and when the ledger did not hold every blob's stored form at the append.
   */
  stored?: Uint8Array[]
}

export const ENTRY_VERSION = 1

const KINDS = new Set<string>(ENTRY_KINDS)

function isActor(actor: unknown): boolean {
  if (typeof actor !== 'string') return false
  if (actor === 'node') return true
  if (actor.startsWith('country:')) return isCountryCode(actor.slice(8))
  return actor.startsWith('user:') && isUserName(actor.slice(5))
}
const KNOWN_FIELDS = new Set([
  'v',
  'seq',
  'time',
  'kind',
  'actor',
  'caseId',
  'counterpart',
  'messageId',
  'blobs',
  'detail',
  'stored',
])

// Ids are free text from other systems, but never control characters (they end up in logs and keys).
function checkId(field: string, value: unknown): string {
  if (!isIdText(value)) throw new InvalidEntryError(field, `must be ${ID_TEXT_RULE}`)
  return value
}

function isMap(value: unknown): value is { [key: string]: CborValue } {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  )
}

/** Checks an event's fields; returns the event with `blobs` defaulted. */
export function validateEvent(event: LedgerEvent): LedgerEvent & { blobs: Uint8Array[] } {
  checkEvent(event)
  return { ...event, blobs: event.blobs ?? [] }
}

function checkEvent(event: LedgerEvent): void {
  if (!KINDS.has(event.kind)) throw new InvalidEntryError('kind', `must be one of ${ENTRY_KINDS.join(', ')}`)
  if (!isActor(event.actor))
    throw new InvalidEntryError(
      'actor',
      `must be 'node', 'country:<CC>' or 'user:<name>' (the name ${USER_NAME_RULE})`,
    )
  if (event.caseId !== undefined) checkId('caseId', event.caseId)
  if (event.messageId !== undefined) checkId('messageId', event.messageId)
  if (event.counterpart !== undefined && !isCountryCode(event.counterpart))
    throw new InvalidEntryError('counterpart', `must be ${COUNTRY_CODE_RULE}`)
  const blobs = event.blobs ?? []
  if (!Array.isArray(blobs) || blobs.length > MAX_BLOB_REFS)
    throw new InvalidEntryError('blobs', `must be a list of at most ${MAX_BLOB_REFS} hashes`)
  for (const h of blobs) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH)
      throw new InvalidEntryError('blobs', 'must hold 32-byte SHA-256 hashes')
  }
  const stored = (event as { stored?: unknown }).stored
  if (stored !== undefined) {
    if (!Array.isArray(stored) || stored.length !== blobs.length || stored.length === 0)
      throw new InvalidEntryError('stored', "must hold one hash per blob of 'blobs', in the same order")
    for (const h of stored)
      if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH)
        throw new InvalidEntryError('stored', 'must hold 32-byte SHA-256 hashes')
  }
  if (event.detail !== undefined && !isMap(event.detail))
    throw new InvalidEntryError('detail', 'must be a map with text keys')
}

/** The deterministic-CBOR bytes of an entry: exactly what its leaf hash covers. */
export function encodeEntry(entry: LedgerEntry): Uint8Array {
  const map: { [key: string]: CborValue } = {
    v: ENTRY_VERSION,
    seq: entry.seq,
    time: entry.time,
    kind: entry.kind,
    actor: entry.actor,
  }
  if (entry.caseId !== undefined) map.caseId = entry.caseId
  if (entry.counterpart !== undefined) map.counterpart = entry.counterpart
  if (entry.messageId !== undefined) map.messageId = entry.messageId
  if (entry.blobs.length > 0) map.blobs = entry.blobs
  if (entry.detail !== undefined) map.detail = entry.detail
  if (entry.stored !== undefined) map.stored = entry.stored
  const bytes = encode(map)
  if (bytes.length > MAX_ENTRY_BYTES)
    throw new InvalidEntryError('detail', `makes the entry ${bytes.length} bytes, over ${MAX_ENTRY_BYTES}`)
  return bytes
}

/**
 * Decodes and checks stored entry bytes. Throws InvalidEntryError (naming the field) or a
 * CborDecodeError from @pocnet/protocol for bytes that are not deterministic CBOR.
 */
export function decodeEntry(bytes: Uint8Array): LedgerEntry {
  return decodeWellFormedEntry(bytes) ?? decodeEntryChecked(bytes)
}

/** The fields in deterministic key order (shorter encodings first, then bytewise). */
export const FIELD_ORDER = [
  'v',
  'seq',
  'kind',
  'time',
  'actor',
  'blobs',
  'caseId',
  'detail',
  'stored',
  'messageId',
  'counterpart',
]
/**
 * The field with a given key length and first byte (no two fields share both), with its rank:
 * index (length << 8) | first byte. Matches key bytes in place.
 */
const FIELD_BY_HEAD: Array<{ ascii: Uint8Array; rank: number }> = []
for (const [rank, key] of FIELD_ORDER.entries()) {
  const index = (key.length << 8) | key.charCodeAt(0)
  if (FIELD_BY_HEAD[index] !== undefined) throw new Error(`fields collide: ${key}`)
  FIELD_BY_HEAD[index] = { ascii: new TextEncoder().encode(key), rank }
}

/** The rank of the field whose key starts at `at` (a short text string head then ASCII), or -1. */
export function fieldRankAt(bytes: Uint8Array, at: number, end = bytes.length): number {
  const head = bytes[at]!
  // 0x60 | n: a text string of n < 24 bytes, which is also its shortest form
  if (head >>> 5 !== 3) return -1
  if (at + 1 >= end) return -1
  const field = FIELD_BY_HEAD[((head & 0x1f) << 8) | bytes[at + 1]!]
  if (field === undefined) return -1
  const { ascii, rank } = field
  if (at + ascii.length >= end) return -1
  for (let i = 1; i < ascii.length; i++) if (bytes[at + 1 + i] !== ascii[i]) return -1
  return rank
}

/**
 * The verifier's hot path: reads the entry map field by field instead of building a generic
 * map first. Returns an entry only when every check passes; anything unusual returns undefined
 * and decodeEntryChecked, the reference, decodes again to say exactly what is wrong.
 */
function decodeWellFormedEntry(bytes: Uint8Array): LedgerEntry | undefined {
  if (bytes.length > MAX_ENTRY_BYTES) return undefined
  const fields: Array<CborValue | undefined> = new Array(FIELD_ORDER.length)
  try {
    const reader = new CborReader(bytes)
    const count = reader.mapLength()
    if (count === undefined) return undefined
    // strictly rising ranks: known fields, in deterministic order, none twice
    let previous = -1
    for (let i = 0; i < count; i++) {
      if (reader.pos >= bytes.length) return undefined
      const rank = fieldRankAt(bytes, reader.pos)
      if (rank <= previous) return undefined
      previous = rank
      reader.pos += 1 + FIELD_ORDER[rank]!.length
      fields[rank] = reader.item(1)
    }
    if (!reader.atEnd) return undefined
  } catch {
    return undefined
  }
  const [v, seq, kind, time, actor, blobs, caseId, detail, stored, messageId, counterpart] = fields
  if (v !== ENTRY_VERSION) return undefined
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return undefined
  if (blobs !== undefined && (!Array.isArray(blobs) || blobs.length === 0)) return undefined
  const entry: LedgerEntry = {
    seq,
    time,
    kind: kind as EntryKind,
    actor: actor as string,
    blobs: (blobs ?? []) as Uint8Array[],
  }
  if (caseId !== undefined) entry.caseId = caseId as string
  if (counterpart !== undefined) entry.counterpart = counterpart as string
  if (messageId !== undefined) entry.messageId = messageId as string
  if (detail !== undefined) entry.detail = detail as { [key: string]: CborValue }
  if (stored !== undefined) entry.stored = stored as Uint8Array[]
  try {
    checkEvent(entry)
  } catch {
    return undefined
  }
  return entry
}

/** The reference decoder: builds the generic map, then checks it, naming what is wrong. */
export function decodeEntryChecked(bytes: Uint8Array): LedgerEntry {
  if (bytes.length > MAX_ENTRY_BYTES)
    throw new InvalidEntryError('entry', `must be at most ${MAX_ENTRY_BYTES} bytes`)
  const value = decode(bytes, { maxBytes: MAX_ENTRY_BYTES })
  if (!isMap(value)) throw new InvalidEntryError('entry', 'must be a CBOR map')
  for (const key of Object.keys(value)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidEntryError(key, 'is not a field of version 1 entries')
  }
  if (value.v !== ENTRY_VERSION) throw new InvalidEntryError('v', `must be ${ENTRY_VERSION}`)
  const seq = value.seq
  const time = value.time
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    throw new InvalidEntryError('seq', 'must be a non-negative integer')
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
    throw new InvalidEntryError('time', 'must be a non-negative integer (ms since the epoch)')
  if (value.blobs !== undefined && (!Array.isArray(value.blobs) || value.blobs.length === 0))
    throw new InvalidEntryError('blobs', 'must be a non-empty list when present')
  const entry: LedgerEntry = {
    seq,
    time,
    kind: value.kind as EntryKind,
    actor: value.actor as string,
    blobs: (value.blobs ?? []) as Uint8Array[],
  }
  if (value.caseId !== undefined) entry.caseId = value.caseId as string
  if (value.counterpart !== undefined) entry.counterpart = value.counterpart as string
  if (value.messageId !== undefined) entry.messageId = value.messageId as string
  if (value.detail !== undefined) entry.detail = value.detail as { [key: string]: CborValue }
  if (value.stored !== undefined) entry.stored = value.stored as Uint8Array[]
  checkEvent(entry)
  return entry
}
