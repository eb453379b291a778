import { CborReader } from '@pocnet/protocol/cbor'
import { MAX_ID_CHARACTERS, MAX_USER_NAME_LENGTH } from '@pocnet/protocol/formats'
import { HASH_LENGTH, MAX_BLOB_REFS, MAX_ENTRY_BYTES } from './constants.ts'
import { decodeEntry, ENTRY_KINDS, ENTRY_VERSION, FIELD_ORDER, fieldRankAt } from './entry.ts'

/*
 * The verifier's fast path over stored entry bytes: the common entry is checked in place, without
 * decoding it; anything else falls back to the reference decoder in entry.ts.
 */

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

/** a-z or 0-9, in ASCII. */
function isLowerAlnum(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
}

/** The actor rule of checkEvent on the printable ASCII text just read (the user name: isUserName). */
function actorIsValid(b: Uint8Array): boolean {
  const length = textEnd - textStart
  if (length === NODE.length && textIs(b, NODE)) return true
  if (length === COUNTRY.length + 2 && textIs(b, COUNTRY)) return upperPairAt(b, textStart + COUNTRY.length)
  if (length < USER.length + 1 || length > USER.length + MAX_USER_NAME_LENGTH || !textIs(b, USER))
    return false
  const name = textStart + USER.length
  if (!isLowerAlnum(b[name]!)) return false
  for (let i = name + 1; i < textEnd; i++) {
    const byte = b[i]!
    // '.' '_' '-'
    if (!isLowerAlnum(byte) && byte !== 0x2e && byte !== 0x5f && byte !== 0x2d) return false
  }
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
        // printable ASCII: one byte per character
        if (length === 0 || length > MAX_ID_CHARACTERS) return undefined
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
