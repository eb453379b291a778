import { HASH_LENGTH } from './constants.ts'

/*
 * LevelDB key layout (docs/ledger.md §Storage). Keys are bytes; numbers are 8-byte big-endian so
 * that key order is numeric order.
 *
 *   m format                          → CBOR { format, version, origin, publicKey }
 *   e <seq>                           → leaf hash (32 bytes) || entry bytes (deterministic CBOR)
 *   n <level:1> <index>               → hash of the perfect subtree, levels ≥ 1
 *   c <size>                          → signed checkpoint note (UTF-8)
 *   b <sha256:32>                     → blob, sealed with the blob key
 *   i <field:1> <len:2> <value> <seq> → (empty) index by case 'c', counterpart 'p', kind 'k'
 *
 * Entries need no time index: times never decrease along sequence numbers, so a binary search
 * over entries finds a time. Leaf hashes live in the entry record to save a key per append.
 */

const textEncoder = new TextEncoder()

export const PREFIX = {
  meta: 0x6d,
  entry: 0x65,
  node: 0x6e,
  checkpoint: 0x63,
  blob: 0x62,
  index: 0x69,
} as const

export const INDEX_FIELD = {
  caseId: 0x63,
  counterpart: 0x70,
  kind: 0x6b,
} as const

export type IndexedField = 'caseId' | 'counterpart' | 'kind'

export const META_KEY = new Uint8Array([PREFIX.meta, ...textEncoder.encode('format')])

const TWO_32 = 2 ** 32

function writeU64(out: Uint8Array, offset: number, n: number): void {
  const high = Math.floor(n / TWO_32)
  const low = n >>> 0
  out[offset] = high >>> 24
  out[offset + 1] = high >>> 16
  out[offset + 2] = high >>> 8
  out[offset + 3] = high
  out[offset + 4] = low >>> 24
  out[offset + 5] = low >>> 16
  out[offset + 6] = low >>> 8
  out[offset + 7] = low
}

export function readU64(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.getUint32(offset) * TWO_32 + view.getUint32(offset + 4)
}

function numberKey(prefix: number, n: number): Uint8Array {
  const key = new Uint8Array(9)
  key[0] = prefix
  writeU64(key, 1, n)
  return key
}

export const entryKey = (seq: number): Uint8Array => numberKey(PREFIX.entry, seq)
export const checkpointKey = (size: number): Uint8Array => numberKey(PREFIX.checkpoint, size)

/** Where a tree node's hash is stored: the first 32 bytes of the value under this key. */
export function nodeKey(level: number, index: number): Uint8Array {
  if (level === 0) return entryKey(index)
  const key = new Uint8Array(10)
  key[0] = PREFIX.node
  key[1] = level
  writeU64(key, 2, index)
  return key
}

export function blobKey(hash: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + hash.length)
  key[0] = PREFIX.blob
  key.set(hash, 1)
  return key
}

/** The stored value of an entry: its leaf hash, then its bytes. */
export function entryValue(leafHash: Uint8Array, bytes: Uint8Array): Uint8Array {
  const value = new Uint8Array(HASH_LENGTH + bytes.length)
  value.set(leafHash, 0)
  value.set(bytes, HASH_LENGTH)
  return value
}

/** Splits a stored entry value; `undefined` when it is too short to hold a leaf hash. */
export function splitEntryValue(value: Uint8Array): { leafHash: Uint8Array; bytes: Uint8Array } | undefined {
  if (value.length < HASH_LENGTH) return undefined
  return { leafHash: value.subarray(0, HASH_LENGTH), bytes: value.subarray(HASH_LENGTH) }
}

// Case ids, countries and kinds repeat across entries: encoding each prefix once saves most of the cost.
const PREFIX_CACHE_MAX = 4096
const prefixCache = new Map<string, Uint8Array>()

/** The key prefix shared by every index key of one field value. */
export function indexValuePrefix(field: IndexedField, value: string): Uint8Array {
  const id = `${field}\u0000${value}`
  let prefix = prefixCache.get(id)
  if (prefix === undefined) {
    prefix = encodeIndexPrefix(field, value)
    if (prefixCache.size >= PREFIX_CACHE_MAX) prefixCache.clear()
    prefixCache.set(id, prefix)
  }
  return prefix
}

function encodeIndexPrefix(field: IndexedField, value: string): Uint8Array {
  const text = textEncoder.encode(value)
  const key = new Uint8Array(4 + text.length)
  key[0] = PREFIX.index
  key[1] = INDEX_FIELD[field]
  new DataView(key.buffer).setUint16(2, text.length)
  key.set(text, 4)
  return key
}

export function indexKey(prefix: Uint8Array, seq: number): Uint8Array {
  const key = new Uint8Array(prefix.length + 8)
  key.set(prefix, 0)
  writeU64(key, prefix.length, seq)
  return key
}

/** The sequence number at the end of any index key. */
export function seqOfIndexKey(key: Uint8Array): number {
  return readU64(key, key.length - 8)
}

/** Bounds that select every key starting with `prefix` (all keys here are shorter than 0xff… runs). */
export function prefixRange(prefix: Uint8Array): { gte: Uint8Array; lt: Uint8Array } {
  const lt = prefix.slice()
  let i = lt.length - 1
  while (i >= 0 && lt[i] === 0xff) i--
  lt[i]! += 1
  return { gte: prefix, lt: lt.subarray(0, i + 1) }
}
