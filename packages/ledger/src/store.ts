import { type FileHandle, open } from 'node:fs/promises'
import { join } from 'node:path'
import { type CborValue, decode, encode } from '@pocnet/protocol/cbor'
import { Level } from 'level'
import { HASH_LENGTH, MAX_CHECKPOINT_BYTES } from './constants.ts'
import { LedgerStateError } from './errors.ts'
import {
  type EntryRun,
  entryKey,
  numberOfKey,
  parseEntryRun,
  prefixRange,
  splitEntryValue,
  TILE_WIDTH,
  tileKey,
} from './layout.ts'

/*
 * The ledger directory on disk (docs/ledger.md §3): its LevelDB, the format record, the latest
 * checkpoint file and the reads of stored entries. Shared by the ledger, its format upgrade and
 * the verifier, which must read the same things the same way.
 */

export const LEDGER_FORMAT = 'pocnet-ledger'
/** Version 2 keeps full tiles of 256 entries in one record; version 1 kept every entry alone. */
export const LEDGER_FORMAT_VERSION = 2
/** Inside the ledger directory: the LevelDB and the latest checkpoint, as a plain file. */
export const DB_DIR = 'db'
export const LATEST_CHECKPOINT_FILE = 'checkpoint'

export type LedgerDb = Level<Uint8Array, Uint8Array>

export function openLevel(location: string, createIfMissing: boolean): LedgerDb {
  return new Level<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    createIfMissing,
  })
}

/** One operation of an atomic LevelDB batch. */
export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

export interface LedgerMeta {
  version: number
  origin: string
  publicKey: Uint8Array
}

export function encodeMeta(meta: LedgerMeta): Uint8Array {
  return encode({ format: LEDGER_FORMAT, ...meta })
}

/** Reads the format record; versions 1 and 2 are read (Ledger.open upgrades 1 to 2). */
export function decodeMeta(bytes: Uint8Array): LedgerMeta {
  let meta: { [key: string]: CborValue }
  try {
    meta = decode(bytes, { maxBytes: 1024 }) as { [key: string]: CborValue }
  } catch (err) {
    throw new LedgerStateError(`the ledger's format record is not valid CBOR (${(err as Error).message})`)
  }
  if (
    typeof meta !== 'object' ||
    meta === null ||
    meta instanceof Uint8Array ||
    Array.isArray(meta) ||
    meta.format !== LEDGER_FORMAT ||
    (meta.version !== 1 && meta.version !== LEDGER_FORMAT_VERSION) ||
    typeof meta.origin !== 'string' ||
    !(meta.publicKey instanceof Uint8Array)
  )
    throw new LedgerStateError(`not a version 1 or ${LEDGER_FORMAT_VERSION} ${LEDGER_FORMAT} database`)
  return { version: meta.version, origin: meta.origin, publicKey: meta.publicKey }
}

/** 1 + the largest number key under `prefix`, or 0 when there is none. */
export async function afterLastNumberKey(db: LedgerDb, prefix: number): Promise<number> {
  const keys = await db.keys({ ...prefixRange(new Uint8Array([prefix])), reverse: true, limit: 1 }).all()
  return keys.length === 0 ? 0 : numberOfKey(keys[0]!) + 1
}

/** The bytes of the latest-checkpoint file of a ledger directory, if there is one (decodeNote reads them). */
export async function readLatestCheckpointFile(dir: string): Promise<Uint8Array | undefined> {
  let file: FileHandle
  try {
    file = await open(join(dir, LATEST_CHECKPOINT_FILE), 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    // one byte past the limit says the file is over it, without reading the rest
    const buffer = Buffer.alloc(MAX_CHECKPOINT_BYTES + 1)
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
    if (bytesRead > MAX_CHECKPOINT_BYTES)
      throw new LedgerStateError(`the ${LATEST_CHECKPOINT_FILE} file is over ${MAX_CHECKPOINT_BYTES} bytes`)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead)
  } finally {
    await file.close()
  }
}

/** classic-level hands out Buffers; callers get plain Uint8Array views of the same bytes. */
export function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A stored entry: its bytes and its leaf hash, as a tile or a single-entry record holds them. */
export interface StoredEntry {
  leafHash: Uint8Array
  bytes: Uint8Array
}

/** Entry `i` of a run, as views into the run's bytes. */
export function entryOfRun(run: EntryRun, i: number): StoredEntry {
  const at = run.leavesAt + i * HASH_LENGTH
  return {
    leafHash: run.bytes.subarray(at, at + HASH_LENGTH),
    bytes: run.bytes.subarray(run.bounds[i]!, run.bounds[i + 1]!),
  }
}

/** A tile record, which must hold exactly TILE_WIDTH entries with their leaf hashes. */
export function parseTile(value: Uint8Array, tile: number): EntryRun {
  const run = parseEntryRun(plain(value), true)
  if (typeof run === 'string') throw new LedgerStateError(`tile ${tile} ${run}`)
  if (run.count !== TILE_WIDTH) throw new LedgerStateError(`tile ${tile} holds ${run.count} entries`)
  return run
}

export async function readTile(db: LedgerDb, tile: number): Promise<EntryRun> {
  const value = await db.get(tileKey(tile))
  if (value === undefined) throw new LedgerStateError(`tile ${tile} is missing from the database`)
  return parseTile(value, tile)
}

/** The entries stored alone from `from` up to `to`, which must all be there. */
export async function readSingleEntries(db: LedgerDb, from: number, to: number): Promise<StoredEntry[]> {
  const out: StoredEntry[] = []
  if (from >= to) return out
  for await (const [key, value] of db.iterator({ gte: entryKey(from), lt: entryKey(to) })) {
    const seq = numberOfKey(key)
    if (seq !== from + out.length)
      throw new LedgerStateError(`entry ${from + out.length} is missing from the database`)
    const split = splitEntryValue(value)
    if (split === undefined) throw new LedgerStateError(`entry ${seq} is too short to hold its leaf hash`)
    out.push({ leafHash: plain(split.leafHash), bytes: plain(split.bytes) })
  }
  if (out.length !== to - from)
    throw new LedgerStateError(`entry ${from + out.length} is missing from the database`)
  return out
}
