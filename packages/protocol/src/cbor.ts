import { DEFAULT_CBOR_MAX_BYTES, DEFAULT_CBOR_MAX_DEPTH } from './constants.ts'
import {
  CborDuplicateKeyError,
  CborEncodeError,
  CborIndefiniteLengthError,
  CborIntegerRangeError,
  CborInvalidUtf8Error,
  CborMalformedError,
  CborMapKeyOrderError,
  CborMapKeyTypeError,
  CborNonCanonicalError,
  CborTooDeepError,
  CborTooLargeError,
  CborTrailingBytesError,
  CborTruncatedError,
  CborUnsupportedTypeError,
} from './errors.ts'

/**
 * The subset of CBOR pocnet uses (docs/protocol.md §4): safe integers, text, bytes, booleans,
 * null, arrays, and maps with text keys. Decoded maps are plain objects with a null prototype.
 */
export type CborValue =
  | number
  | string
  | Uint8Array
  | boolean
  | null
  | CborValue[]
  | { [key: string]: CborValue }

export interface DecodeOptions {
  /** Inputs longer than this are refused before any parsing. */
  maxBytes?: number
  /** Arrays and maps nested deeper than this are refused. */
  maxDepth?: number
}

const MAJOR_UNSIGNED = 0
const MAJOR_NEGATIVE = 1
const MAJOR_BYTES = 2
const MAJOR_TEXT = 3
const MAJOR_ARRAY = 4
const MAJOR_MAP = 5
const MAJOR_TAG = 6
const MAJOR_SIMPLE = 7

const FALSE = 0xf4
const TRUE = 0xf5
const NULL = 0xf6

const textEncoder = new TextEncoder()
// fatal: invalid UTF-8 throws; ignoreBOM: a leading U+FEFF is content, not to be stripped.
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const ASCII_FAST_PATH_MAX_BYTES = 64
const SHORT_TEXT_MAX_BYTES = 12

/** Bytewise lexicographic order, the map-key order of RFC 8949 §4.2.1. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

/** bytes[start, end) as a string when all ASCII. Below V8's cons-string threshold, appending builds a flat string. */
function shortAscii(bytes: Uint8Array, start: number, end: number): string | undefined {
  let out = ''
  for (let i = start; i < end; i++) {
    const c = bytes[i]!
    if (c >= 0x80) return undefined
    out += String.fromCharCode(c)
  }
  return out
}

/** compareBytes over two ranges of one array. */
function compareRanges(b: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart)
  for (let i = 0; i < n; i++) {
    const d = b[aStart + i]! - b[bStart + i]!
    if (d !== 0) return d
  }
  return aEnd - aStart - (bEnd - bStart)
}

// One spare output buffer, reused by successive encodes: allocating is most of the cost of
// encoding small values. An encode that throws simply does not give its buffer back.
const INITIAL_BUFFER_BYTES = 4096
const MAX_SPARE_BUFFER_BYTES = 64 * 1024
let spareBuffer: Uint8Array | undefined = new Uint8Array(INITIAL_BUFFER_BYTES)

class Writer {
  #buf: Uint8Array
  #pos = 0

  constructor() {
    this.#buf = spareBuffer ?? new Uint8Array(INITIAL_BUFFER_BYTES)
    spareBuffer = undefined
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.#pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.#buf.subarray(0, this.#pos))
    this.#buf = next
  }

  byte(b: number): void {
    this.#reserve(1)
    this.#buf[this.#pos++] = b
  }

  bytes(b: Uint8Array): void {
    this.#reserve(b.length)
    this.#buf.set(b, this.#pos)
    this.#pos += b.length
  }

  /** The initial byte and argument in their shortest form. */
  head(major: number, n: number): void {
    const m = major << 5
    this.#reserve(9)
    const buf = this.#buf
    let p = this.#pos
    if (n < 24) {
      buf[p++] = m | n
    } else if (n < 0x100) {
      buf[p++] = m | 24
      buf[p++] = n
    } else if (n < 0x10000) {
      buf[p++] = m | 25
      buf[p++] = n >>> 8
      buf[p++] = n & 0xff
    } else if (n < 0x100000000) {
      buf[p++] = m | 26
      buf[p++] = n >>> 24
      buf[p++] = (n >>> 16) & 0xff
      buf[p++] = (n >>> 8) & 0xff
      buf[p++] = n & 0xff
    } else {
      const hi = Math.floor(n / 0x100000000)
      const lo = n >>> 0
      buf[p++] = m | 27
      buf[p++] = hi >>> 24
      buf[p++] = (hi >>> 16) & 0xff
      buf[p++] = (hi >>> 8) & 0xff
      buf[p++] = hi & 0xff
      buf[p++] = lo >>> 24
      buf[p++] = (lo >>> 16) & 0xff
      buf[p++] = (lo >>> 8) & 0xff
      buf[p++] = lo & 0xff
    }
    this.#pos = p
  }

  /** Writes `text` as UTF-8, which the caller has measured as `length` bytes. */
  text(text: string, length: number): void {
    this.#reserve(length)
    this.#pos += textEncoder.encodeInto(text, this.#buf.subarray(this.#pos)).written
  }

  result(): Uint8Array {
    const out = this.#buf.slice(0, this.#pos)
    if (this.#buf.length <= MAX_SPARE_BUFFER_BYTES) spareBuffer = this.#buf
    return out
  }
}

// Map keys are a small fixed vocabulary of field names: their encodings are cached, boundedly.
const KEY_CACHE_MAX = 1024
const keyCache = new Map<string, Uint8Array>()

function encodedKey(key: string, path: string): Uint8Array {
  const cached = keyCache.get(key)
  if (cached !== undefined) return cached
  if (!key.isWellFormed()) throw new CborEncodeError(`map key at ${path} contains a lone surrogate`)
  const length = Buffer.byteLength(key, 'utf8')
  const w = new Writer()
  w.head(MAJOR_TEXT, length)
  w.text(key, length)
  const out = w.result()
  if (keyCache.size < KEY_CACHE_MAX) keyCache.set(key, out)
  return out
}

function encodeItem(w: Writer, value: unknown, depth: number, path: string): void {
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new CborEncodeError(`${path} is ${value}: only integers within ±(2^53−1) are encodable`)
      }
      if (value >= 0) w.head(MAJOR_UNSIGNED, value)
      else w.head(MAJOR_NEGATIVE, -1 - value)
      return
    case 'string': {
      if (!value.isWellFormed()) throw new CborEncodeError(`${path} is a string with a lone surrogate`)
      const length = Buffer.byteLength(value, 'utf8')
      w.head(MAJOR_TEXT, length)
      w.text(value, length)
      return
    }
    case 'boolean':
      w.byte(value ? TRUE : FALSE)
      return
    case 'object':
      break
    default:
      throw new CborEncodeError(`${path} is ${typeof value}, which has no pocnet CBOR encoding`)
  }
  if (value === null) {
    w.byte(NULL)
    return
  }
  if (value instanceof Uint8Array) {
    w.head(MAJOR_BYTES, value.length)
    w.bytes(value)
    return
  }
  if (depth >= DEFAULT_CBOR_MAX_DEPTH) {
    throw new CborEncodeError(`${path} nests deeper than ${DEFAULT_CBOR_MAX_DEPTH} levels (or is cyclic)`)
  }
  if (Array.isArray(value)) {
    w.head(MAJOR_ARRAY, value.length)
    for (let i = 0; i < value.length; i++) encodeItem(w, value[i], depth + 1, `${path}[${i}]`)
    return
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    throw new CborEncodeError(
      `${path} is a ${proto?.constructor?.name ?? 'non-plain'} object, not a plain map`,
    )
  }
  const record = value as Record<string, unknown>
  const entries = Object.keys(record).map((key) => ({ key, encoded: encodedKey(key, path) }))
  entries.sort((a, b) => compareBytes(a.encoded, b.encoded))
  w.head(MAJOR_MAP, entries.length)
  for (const { key, encoded } of entries) {
    const item = record[key]
    if (item === undefined) {
      throw new CborEncodeError(`${path}.${key} is undefined: omit the key instead`)
    }
    w.bytes(encoded)
    encodeItem(w, item, depth + 1, `${path}.${key}`)
  }
}

/**
 * Deterministic CBOR (RFC 8949 §4.2.1): shortest arguments, definite lengths, map keys sorted
 * bytewise by their encodings. Throws CborEncodeError for anything outside CborValue.
 */
export function encode(value: CborValue): Uint8Array {
  const w = new Writer()
  encodeItem(w, value, 0, 'value')
  return w.result()
}

/**
 * A strict reader positioned in one buffer. `decode` uses it for whole items; decoders of one
 * fixed shape (ledger entries) use `mapLength` and `item` to skip building generic maps, reading
 * keys themselves. It applies every rule `decode` applies to what it reads; the caller checks
 * the keys it reads and their order.
 */
export class CborReader {
  readonly bytes: Uint8Array
  readonly maxDepth: number
  pos = 0

  constructor(bytes: Uint8Array, maxDepth: number = DEFAULT_CBOR_MAX_DEPTH) {
    this.bytes = bytes
    this.maxDepth = maxDepth
  }

  get atEnd(): boolean {
    return this.pos === this.bytes.length
  }

  /** If the next item is a map, reads its head and returns its entry count; otherwise undefined, reading nothing. */
  mapLength(): number | undefined {
    if (this.pos >= this.bytes.length || this.bytes[this.pos]! >>> 5 !== MAJOR_MAP) return undefined
    const headAt = this.pos
    const initial = this.#u8()
    return this.#length(initial & 0x1f, headAt, 2, 'map')
  }

  #need(n: number, what: string): void {
    if (this.bytes.length - this.pos < n) throw new CborTruncatedError(what, this.pos)
  }

  #u8(): number {
    return this.bytes[this.pos++]!
  }

  /**
   * The argument of a head with additional information `ai` (24..27), checked to be in its
   * shortest form. Values of 2^53 or more come back as imprecise numbers above
   * MAX_SAFE_INTEGER, which every caller rejects.
   */
  #argument(ai: number, headAt: number): number {
    const b = this.bytes
    let n: number
    if (ai === 24) {
      this.#need(1, 'a 1-byte argument')
      n = this.#u8()
      if (n < 24) throw new CborNonCanonicalError(n, headAt)
    } else if (ai === 25) {
      this.#need(2, 'a 2-byte argument')
      n = (b[this.pos]! << 8) | b[this.pos + 1]!
      this.pos += 2
      if (n < 0x100) throw new CborNonCanonicalError(n, headAt)
    } else if (ai === 26) {
      this.#need(4, 'a 4-byte argument')
      n = ((b[this.pos]! << 24) | (b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!) >>> 0
      this.pos += 4
      if (n < 0x10000) throw new CborNonCanonicalError(n, headAt)
    } else {
      this.#need(8, 'an 8-byte argument')
      const p = this.pos
      const hi = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
      const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0
      this.pos += 8
      n = hi * 0x100000000 + lo
      if (hi === 0) throw new CborNonCanonicalError(n, headAt)
    }
    return n
  }

  /** A length or count: must fit in the remaining input (each counted item takes ≥ `unit` bytes). */
  #length(ai: number, headAt: number, unit: number, what: string): number {
    if (ai === 31) throw new CborIndefiniteLengthError(headAt)
    if (ai >= 28) throw new CborMalformedError(`reserved additional information ${ai}`, headAt)
    const n = ai < 24 ? ai : this.#argument(ai, headAt)
    if (n > (this.bytes.length - this.pos) / unit) {
      throw new CborTruncatedError(`${what} of length ${n} does not fit in the input`, headAt)
    }
    return n
  }

  #text(ai: number, headAt: number): string {
    const n = this.#length(ai, headAt, 1, 'text string')
    const start = this.pos
    this.pos += n
    // Keys, ids, kinds and codes are short ASCII: building those directly avoids TextDecoder's
    // per-call cost, which dominated decoding ledger entries. ASCII is valid UTF-8 as it is.
    if (n <= ASCII_FAST_PATH_MAX_BYTES) {
      const b = this.bytes
      if (n <= SHORT_TEXT_MAX_BYTES) {
        const short = shortAscii(b, start, this.pos)
        if (short !== undefined) return short
      } else {
        let ascii = true
        for (let i = start; i < this.pos; i++) {
          if (b[i]! >= 0x80) {
            ascii = false
            break
          }
        }
        if (ascii) return String.fromCharCode.apply(null, b.subarray(start, this.pos) as unknown as number[])
      }
    }
    try {
      return textDecoder.decode(this.bytes.subarray(start, this.pos))
    } catch {
      throw new CborInvalidUtf8Error(headAt)
    }
  }

  item(depth: number): CborValue {
    const headAt = this.pos
    this.#need(1, 'a data item')
    const initial = this.#u8()
    const major = initial >>> 5
    const ai = initial & 0x1f
    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE: {
        if (ai >= 28) throw new CborMalformedError(`reserved additional information ${ai}`, headAt)
        const n = ai < 24 ? ai : this.#argument(ai, headAt)
        if (major === MAJOR_UNSIGNED) {
          if (n > Number.MAX_SAFE_INTEGER) throw new CborIntegerRangeError(headAt)
          return n
        }
        if (n > Number.MAX_SAFE_INTEGER - 1) throw new CborIntegerRangeError(headAt)
        return -1 - n
      }
      case MAJOR_BYTES: {
        const n = this.#length(ai, headAt, 1, 'byte string')
        const out = this.bytes.slice(this.pos, this.pos + n)
        this.pos += n
        return out
      }
      case MAJOR_TEXT:
        return this.#text(ai, headAt)
      case MAJOR_ARRAY: {
        const n = this.#length(ai, headAt, 1, 'array')
        if (depth >= this.maxDepth) throw new CborTooDeepError(this.maxDepth, headAt)
        const out: CborValue[] = new Array(n)
        for (let i = 0; i < n; i++) out[i] = this.item(depth + 1)
        return out
      }
      case MAJOR_MAP: {
        const n = this.#length(ai, headAt, 2, 'map')
        if (depth >= this.maxDepth) throw new CborTooDeepError(this.maxDepth, headAt)
        const out: { [key: string]: CborValue } = Object.create(null)
        // the previous key's encoding, compared in place: no subarray per key
        let previousAt = -1
        let previousEnd = -1
        for (let i = 0; i < n; i++) {
          const keyAt = this.pos
          this.#need(1, 'a map key')
          const keyInitial = this.#u8()
          if (keyInitial >>> 5 !== MAJOR_TEXT) throw new CborMapKeyTypeError(keyAt)
          const key = this.#text(keyInitial & 0x1f, keyAt)
          if (previousAt >= 0) {
            const order = compareRanges(this.bytes, previousAt, previousEnd, keyAt, this.pos)
            if (order === 0) throw new CborDuplicateKeyError(key, keyAt)
            if (order > 0) throw new CborMapKeyOrderError(key, keyAt)
          }
          previousAt = keyAt
          previousEnd = this.pos
          out[key] = this.item(depth + 1)
        }
        return out
      }
      case MAJOR_TAG:
        throw new CborUnsupportedTypeError('tag', headAt)
      default:
        return this.#simple(ai, headAt)
    }
  }

  #simple(ai: number, headAt: number): CborValue {
    if (initialIs(ai, FALSE)) return false
    if (initialIs(ai, TRUE)) return true
    if (initialIs(ai, NULL)) return null
    if (ai === 23) throw new CborUnsupportedTypeError('undefined', headAt)
    if (ai === 25 || ai === 26 || ai === 27) throw new CborUnsupportedTypeError('float', headAt)
    if (ai === 31) throw new CborMalformedError('"break" outside an indefinite-length item', headAt)
    if (ai >= 28) throw new CborMalformedError(`reserved additional information ${ai}`, headAt)
    throw new CborUnsupportedTypeError('simple-value', headAt)
  }
}

function initialIs(ai: number, initial: number): boolean {
  return ((MAJOR_SIMPLE << 5) | ai) === initial
}

/**
 * Strict decoding of exactly one deterministic-CBOR data item. Every rejection is a
 * CborDecodeError subclass; nothing else is thrown for any input bytes.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): CborValue {
  const maxBytes = options.maxBytes ?? DEFAULT_CBOR_MAX_BYTES
  const maxDepth = options.maxDepth ?? DEFAULT_CBOR_MAX_DEPTH
  if (bytes.length > maxBytes) throw new CborTooLargeError(bytes.length, maxBytes)
  const reader = new CborReader(bytes, maxDepth)
  const value = reader.item(0)
  if (reader.pos !== bytes.length) throw new CborTrailingBytesError(reader.pos, bytes.length - reader.pos)
  return value
}
