import { HASH_LENGTH, MAX_ENTRY_BYTES } from './constants.ts'
import { LedgerStateError } from './errors.ts'

/*
 * LevelDB key layout (docs/ledger.md §Storage). Keys are bytes; numbers are 8-byte big-endian so
 * that key order is numeric order.
 *
 *   m format                          → CBOR { format, version, origin, publicKey }
 *   t <tile>                          → entries tile·256 … tile·256+255 as one entry run (below)
 *   e <seq>                           → leaf hash (32 bytes) || entry bytes (deterministic CBOR)
 *   n <level:1> <index>               → hash of the perfect subtree, levels ≥ 1
 *   c <size>                          → signed checkpoint note (UTF-8)
 *   b <sha256:32>                     → blob, sealed with the blob key
 *   i <field:1> <len:2> <value> <seq> → (empty) index by case 'c', counterpart 'p', kind 'k'
 *
 * Entries need no time index: times never decrease along sequence numbers, so a binary search
 * over entries finds a time. Leaf hashes live beside the entry bytes to save a key per append.
 *
 * Entries of a full tile of 256 live in one `t` record; the entries after the last full tile
 * live in `e` records, one each, until the append that fills their tile replaces them with it
 * (in the same batch). Reading a million entries is then ~4,000 LevelDB records, not a million:
 * per record, LevelDB's JavaScript binding costs more than the entry's hashing.
 */

const textEncoder = new TextEncoder()

export const PREFIX = {
  meta: 0x6d,
  entry: 0x65,
  tile: 0x74,
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

/**
 * The number in a key numberKey made (an entry's seq, a tile's index, a checkpoint's size); a key
 * of another length under those prefixes is damage, named as such rather than misread.
 */
export function numberOfKey(key: Uint8Array): number {
  if (key.length !== 9)
    throw new LedgerStateError(`a key under prefix 0x${key[0]?.toString(16)} is ${key.length} bytes, not 9`)
  return readU64(key, 1)
}

export const entryKey = (seq: number): Uint8Array => numberKey(PREFIX.entry, seq)
export const tileKey = (tile: number): Uint8Array => numberKey(PREFIX.tile, tile)
export const checkpointKey = (size: number): Uint8Array => numberKey(PREFIX.checkpoint, size)

/** Where a tree node's hash is stored, levels ≥ 1: the value under this key. */
export function nodeKey(level: number, index: number): Uint8Array {
  if (level < 1) throw new RangeError('leaf hashes are stored with their entries')
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

/** Entries per tile: a full tile is one perfect subtree of 2^8 leaves. */
export const TILE_WIDTH = 256

/*
 * An entry run: consecutive entries packed into one buffer. A stored tile is one, with leaf
 * hashes; the verifier packs runs without them for bundles (which store no leaf hashes).
 *
 *   count (4 bytes) ‖ [count × 32-byte leaf hash] ‖ count × end (4 bytes) ‖ entry bytes
 *
 * End i is where entry i's bytes end, counted from the start of the entry bytes.
 */

/** A parsed entry run: where each part of `bytes` lies. */
export interface EntryRun {
  bytes: Uint8Array
  count: number
  /** Offset of the leaf hashes, or -1 in a run without them. */
  leavesAt: number
  /** count + 1 offsets into `bytes`: entry i is bytes[bounds[i], bounds[i + 1]). */
  bounds: Uint32Array
}

/** Packs entries into an entry run, with their leaf hashes unless `withLeaves` is false. */
export function encodeEntryRun(
  entries: ReadonlyArray<{ leafHash?: Uint8Array; bytes: Uint8Array }>,
  withLeaves = true,
): Uint8Array {
  const leaves = withLeaves ? new Uint8Array(entries.length * HASH_LENGTH) : undefined
  const ends = new Uint32Array(entries.length)
  let end = 0
  for (const [i, e] of entries.entries()) {
    if (leaves !== undefined) {
      if (e.leafHash?.length !== HASH_LENGTH) throw new RangeError(`entry ${i} of the run has no leaf hash`)
      leaves.set(e.leafHash, i * HASH_LENGTH)
    }
    end += e.bytes.length
    ends[i] = end
  }
  const bytes = new Uint8Array(end)
  let at = 0
  for (const e of entries) {
    bytes.set(e.bytes, at)
    at += e.bytes.length
  }
  return packEntryRun(ends, bytes, leaves)
}

/**
 * An entry run from its parts, already laid out: each entry's end offset, the entries' bytes
 * back to back, and (when the run carries them) their leaf hashes back to back.
 */
export function packEntryRun(ends: Uint32Array, bytes: Uint8Array, leaves?: Uint8Array): Uint8Array {
  const count = ends.length
  const endsAt = 4 + (leaves?.length ?? 0)
  const head = endsAt + count * 4
  const run = new Uint8Array(head + bytes.length)
  const view = new DataView(run.buffer)
  view.setUint32(0, count)
  if (leaves !== undefined) run.set(leaves, 4)
  for (let i = 0; i < count; i++) view.setUint32(endsAt + i * 4, ends[i]!)
  run.set(bytes, head)
  return run
}

/** Parses an entry run; a string says what is malformed. Entries over the size limit are refused. */
export function parseEntryRun(bytes: Uint8Array, withLeaves: boolean): EntryRun | string {
  if (bytes.length < 4) return 'is too short to hold its entry count'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.getUint32(0)
  const leavesAt = withLeaves ? 4 : -1
  const endsAt = 4 + (withLeaves ? count * HASH_LENGTH : 0)
  const bytesAt = endsAt + count * 4
  if (bytesAt > bytes.length) return `is too short for the ${count} entries it declares`
  const bounds = new Uint32Array(count + 1)
  bounds[0] = bytesAt
  for (let i = 0; i < count; i++) {
    const end = bytesAt + view.getUint32(endsAt + i * 4)
    if (end < bounds[i]! || end > bytes.length) return `has a bad end offset for its entry ${i}`
    if (end - bounds[i]! > MAX_ENTRY_BYTES) return `holds an entry (its ${i}) over ${MAX_ENTRY_BYTES} bytes`
    bounds[i + 1] = end
  }
  if (bounds[count] !== bytes.length) return 'has bytes after its last entry'
  return { bytes, count, leavesAt, bounds }
}
