import { CborReader, type CborValue, decode, encode } from '@pocnet/protocol/cbor'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import { HASH_LENGTH, MAX_BLOB_REFS, MAX_ENTRY_BYTES, MAX_ID_LENGTH } from './constants.ts'
import { InvalidEntryError } from './errors.ts'

/** What happened. docs/ledger.md says when the node appends each kind. */
export const ENTRY_KINDS = [
  'message-sent',
  'message-received',
  'receipt',
  'delivery-failed',
  'acknowledged',
  'case-state-changed',
  'directory-changed',
  'roster-changed',
  'key-action',
  'key-rotation',
  'admin-action',
  'auditor-access',
  'equivocation',
] as const

export type EntryKind = (typeof ENTRY_KINDS)[number]

/** A business event as a caller hands it to the ledger; the ledger adds `seq` and `time`. */
export interface LedgerEvent {
  kind: EntryKind
  /** Who did it: `user:<name>` (a local user), `country:<CC>` (a peer country) or `node`. */
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

/** C0 and C1 control characters and DEL (Unicode category Cc). */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
}

// Ids are free text from other systems, but never control characters (they end up in logs and keys).
function isCleanText(value: string, allowSpace: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (isControl(code) || (!allowSpace && /\s/.test(value[i]!))) return false
  }
  return true
}

function isActor(actor: unknown): boolean {
  if (typeof actor !== 'string') return false
  if (actor === 'node') return true
  if (actor.startsWith('country:')) return isCountryCode(actor.slice(8))
  if (!actor.startsWith('user:')) return false
  const name = actor.slice(5)
  return name.length >= 1 && name.length <= MAX_ID_LENGTH && isCleanText(name, false)
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

function checkId(field: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_ID_LENGTH ||
    !isCleanText(value, true)
  )
    throw new InvalidEntryError(field, `must be 1-${MAX_ID_LENGTH} characters without control characters`)
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
    throw new InvalidEntryError('actor', "must be 'node', 'country:<CC>' or 'user:<name>'")
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
const FIELD_ORDER = [
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
function fieldRankAt(bytes: Uint8Array, at: number, end = bytes.length): number {
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

/** What the verifier needs of an entry it has found valid. */
export interface EntryFacts {
  seq: number
  time: number
  blobs: Uint8Array[]
  /** The stored-bytes hashes of the blobs, when the entry commits to them. */
  stored?: Uint8Array[]
}

/**
 * Checks stored entry bytes and returns the facts the verifier uses; throws as decodeEntry
 * does. The common entry (ASCII text, a small detail map) is checked in place, without
 * building its strings: see scanEntry.
 */
export function entryFacts(bytes: Uint8Array): EntryFacts {
  const facts = scanEntry(bytes)
  if (facts !== undefined) return facts
  const { seq, time, blobs, stored } = decodeEntry(bytes)
  return stored === undefined ? { seq, time, blobs } : { seq, time, blobs, stored }
}

const NO_BLOBS: Uint8Array[] = []
/** The entry kinds by length (index), as ASCII bytes: at most three share a length. */
const KINDS_BY_LENGTH: Uint8Array[][] = []
for (const kind of ENTRY_KINDS) {
  KINDS_BY_LENGTH[kind.length] ??= []
  KINDS_BY_LENGTH[kind.length]!.push(new TextEncoder().encode(kind))
}
// each field's rank, in FIELD_ORDER's order
const [R_V, R_SEQ, R_KIND, R_TIME, R_ACTOR, R_BLOBS, R_CASE, R_DETAIL, R_STORED, R_MESSAGE, R_COUNTERPART] =
  FIELD_ORDER.map((_, rank) => rank)

// The scanner's cursor, and the bounds of the text it read last: module state, so that the
// hot loop allocates nothing. Everything here is synchronous.
let at = 0
/** Where the entry being scanned ends. */
let limit = 0
let textStart = 0
let textEnd = 0

/** An unsigned integer in shortest form, at most 2^53 − 1, at `at`; −1 for anything else. */
function scanUint(b: Uint8Array): number {
  if (at >= limit) return -1
  const head = b[at]!
  if (head >>> 5 !== 0) return -1
  const ai = head & 0x1f
  if (ai < 24) {
    at += 1
    return ai
  }
  const width = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0
  if (width === 0 || at + 1 + width > limit) return -1
  let n = 0
  for (let i = 1; i <= width; i++) n = n * 256 + b[at + i]!
  const least = width === 1 ? 24 : width === 2 ? 0x100 : width === 4 ? 0x10000 : 0x100000000
  if (n < least || n > Number.MAX_SAFE_INTEGER) return -1
  at += 1 + width
  return n
}

/** A text string of printable ASCII (0x20–0x7e) in shortest form at `at`; false for anything else. */
function scanPrintable(b: Uint8Array): boolean {
  if (at >= limit) return false
  const head = b[at]!
  if (head >>> 5 !== 3) return false
  let n = head & 0x1f
  let start = at + 1
  if (n === 24) {
    if (start >= limit) return false
    n = b[start]!
    if (n < 24) return false
    start += 1
  } else if (n > 24) return false
  const end = start + n
  if (end > limit) return false
  for (let i = start; i < end; i++) {
    const c = b[i]!
    if (c < 0x20 || c > 0x7e) return false
  }
  textStart = start
  textEnd = end
  at = end
  return true
}

function textIs(b: Uint8Array, ascii: Uint8Array, from = textStart): boolean {
  if (from + ascii.length > textEnd) return false
  for (let i = 0; i < ascii.length; i++) if (b[from + i] !== ascii[i]) return false
  return true
}

/** Whether the text just read, `length` bytes, is one of the entry kinds. */
function isKind(b: Uint8Array, length: number): boolean {
  const kinds = KINDS_BY_LENGTH[length]
  if (kinds === undefined) return false
  for (let i = 0; i < kinds.length; i++) if (textIs(b, kinds[i]!)) return true
  return false
}

/** isCountryCode on the two bytes at `i`, for the in-place scan: A-Z is 0x41-0x5a in UTF-8. */
function upperPairAt(b: Uint8Array, i: number): boolean {
  return b[i]! >= 0x41 && b[i]! <= 0x5a && b[i + 1]! >= 0x41 && b[i + 1]! <= 0x5a
}

const NODE = new TextEncoder().encode('node')
const COUNTRY = new TextEncoder().encode('country:')
const USER = new TextEncoder().encode('user:')

/** The actor rule of checkEvent on the printable ASCII text just read. */
function actorIsValid(b: Uint8Array): boolean {
  const length = textEnd - textStart
  if (length === NODE.length && textIs(b, NODE)) return true
  if (length === COUNTRY.length + 2 && textIs(b, COUNTRY)) return upperPairAt(b, textStart + COUNTRY.length)
  if (length < USER.length + 1 || length > USER.length + MAX_ID_LENGTH || !textIs(b, USER)) return false
  // a user name has no whitespace: in printable ASCII that is the space alone
  for (let i = textStart + USER.length; i < textEnd; i++) if (b[i] === 0x20) return false
  return true
}

/**
 * The detail map at `at`: in place when its keys and values are printable ASCII text or unsigned
 * integers (the usual detail), else through the reference CBOR reader. False when not a valid map.
 */
function scanDetail(b: Uint8Array): boolean {
  if (at >= limit || b[at]! >>> 5 !== 5) return false
  const start = at
  const count = b[at]! & 0x1f
  if (count < 24) {
    at += 1
    let previousStart = -1
    let previousEnd = -1
    let simple = true
    for (let i = 0; i < count && simple; i++) {
      const keyAt = at
      // keys in deterministic order: encoded key bytes strictly rising (length first: the head holds it)
      if (!scanPrintable(b)) simple = false
      else if (previousStart >= 0 && !rangeBefore(b, previousStart, previousEnd, keyAt, textEnd))
        simple = false
      else {
        previousStart = keyAt
        previousEnd = textEnd
        const valueHead = at < limit ? b[at]! >>> 5 : -1
        simple = valueHead === 0 ? scanUint(b) >= 0 : valueHead === 3 && scanPrintable(b)
      }
    }
    if (simple) return true
  }
  // anything else: the reference reader decides, building the value
  const reader = new CborReader(b.subarray(0, limit))
  reader.pos = start
  try {
    reader.item(1)
  } catch {
    return false
  }
  at = reader.pos
  return true
}

/** Whether bytes [a, aEnd) sort strictly before [c, cEnd), bytewise, as deterministic CBOR keys must. */
function rangeBefore(b: Uint8Array, a: number, aEnd: number, c: number, cEnd: number): boolean {
  const n = Math.min(aEnd - a, cEnd - c)
  for (let i = 0; i < n; i++) if (b[a + i] !== b[c + i]) return b[a + i]! < b[c + i]!
  return aEnd - a < cEnd - c
}

/**
 * The verifier's hot path: checks an entry in place, for the common shape only — every text
 * printable ASCII, every head in its shortest form, a detail map decoded by the reference
 * CBOR reader. Returns undefined for anything else, valid or not, and entryFacts then asks the
 * full decoder, which says exactly what is wrong. It accepts only what decodeEntryChecked
 * accepts, with the same facts (a property test holds it to that). Scans b[start, end).
 */
export function scanEntry(b: Uint8Array, start = 0, end = b.length): EntryFacts | undefined {
  if (end <= start || end - start > MAX_ENTRY_BYTES) return undefined
  limit = end
  const head = b[start]!
  // a map of fewer than 24 fields has its count in its head
  if (head >>> 5 !== 5 || (head & 0x1f) >= 24) return undefined
  const count = head & 0x1f
  at = start + 1
  let previous = -1
  let seq = -1
  let time = -1
  let blobs: Uint8Array[] | undefined = NO_BLOBS
  let stored: Uint8Array[] | undefined
  let required = 0
  for (let i = 0; i < count; i++) {
    if (at >= limit) return undefined
    const rank = fieldRankAt(b, at, limit)
    if (rank <= previous) return undefined
    previous = rank
    at += 1 + FIELD_ORDER[rank]!.length
    switch (rank) {
      case R_V:
        if (b[at] !== ENTRY_VERSION) return undefined
        at += 1
        required++
        break
      case R_SEQ:
        seq = scanUint(b)
        if (seq < 0) return undefined
        required++
        break
      case R_TIME:
        time = scanUint(b)
        if (time < 0) return undefined
        required++
        break
      case R_KIND: {
        if (!scanPrintable(b)) return undefined
        const length = textEnd - textStart
        if (!isKind(b, length)) return undefined
        required++
        break
      }
      case R_ACTOR:
        if (!scanPrintable(b) || !actorIsValid(b)) return undefined
        required++
        break
      case R_CASE:
      case R_MESSAGE: {
        if (!scanPrintable(b)) return undefined
        const length = textEnd - textStart
        if (length === 0 || length > MAX_ID_LENGTH) return undefined
        break
      }
      case R_COUNTERPART:
        if (!scanPrintable(b) || textEnd - textStart !== 2 || !upperPairAt(b, textStart)) return undefined
        break
      case R_BLOBS:
        blobs = scanHashList(b)
        if (blobs === undefined) return undefined
        break
      case R_STORED:
        stored = scanHashList(b)
        if (stored === undefined) return undefined
        break
      case R_DETAIL:
        if (!scanDetail(b)) return undefined
        break
    }
  }
  // v, seq, kind, time and actor are required
  if (required !== 5 || at !== limit) return undefined
  if (stored === undefined) return { seq, time, blobs }
  // one stored-bytes hash per blob
  if (stored.length !== blobs.length) return undefined
  return { seq, time, blobs, stored }
}

/** A list of 1..64 32-byte hashes (shortest-form heads) at `at`; undefined for anything else. */
function scanHashList(b: Uint8Array): Uint8Array[] | undefined {
  if (at >= limit) return undefined
  const arrayHead = b[at]!
  // 1..23 hashes in the head, or 24..64 in one more byte
  let n = arrayHead - 0x80
  at += 1
  if (arrayHead === 0x98) {
    if (at >= limit) return undefined
    n = b[at]!
    if (n < 24) return undefined
    at += 1
  } else if (n < 1 || n > 23) return undefined
  if (n > MAX_BLOB_REFS) return undefined
  const hashes: Uint8Array[] = new Array(n)
  for (let j = 0; j < n; j++) {
    // 0x58 0x20: a byte string of 32 bytes
    if (at + 2 + HASH_LENGTH > limit || b[at] !== 0x58 || b[at + 1] !== HASH_LENGTH) return undefined
    hashes[j] = b.slice(at + 2, at + 2 + HASH_LENGTH)
    at += 2 + HASH_LENGTH
  }
  return hashes
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
