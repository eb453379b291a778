import { join } from 'node:path'
import { bytesEqual, type NodeIdentity, sha256 } from '@pocnet/crypto'
import { readBlobKeys } from '../blob-keys.ts'
import { blobHash, deriveBlobKey, openBlob } from '../blobs.ts'
import { decodeEntry } from '../entry.ts'
import { readKeyRotation } from '../key-rotation.ts'
import {
  blobKey,
  META_KEY,
  numberOfKey,
  PREFIX,
  parseEntryRun,
  prefixRange,
  splitEntryValue,
  TILE_WIDTH,
} from '../layout.ts'
import { keyRotationEntries } from '../ledger-state.ts'
import {
  afterLastNumberKey,
  DB_DIR,
  decodeMeta,
  LATEST_CHECKPOINT_FILE,
  type LedgerDb,
  openLevel,
} from '../store.ts'
import { copyDataDir, type DataDirSnapshot } from './data-dir-copy.ts'
import { Failure } from './report.ts'
import {
  type BlobStatus,
  type EntrySink,
  type LedgerSource,
  type SourceCheckpoint,
  type SourceHeader,
  sourceNote,
} from './source.ts'

/** Records per LevelDB read in a data directory: single entries, or tiles of 256. */
const ENTRY_READ_BATCH = 4096
const TILE_READ_BATCH = 64

/**
 * A node's ledger directory, read from a copy of its database (data-dir-copy.ts): the format
 * record, the stored checkpoints and the `checkpoint` file, full tiles then the single entries
 * after them, and blobs decrypted when the node identity is given.
 */
export class DataDirSource implements LedgerSource {
  readonly kind = 'data-dir'
  readonly storedLeaves = true
  readonly #dir: string
  readonly #snapshot: DataDirSnapshot
  readonly #identity: NodeIdentity | undefined
  #db: LedgerDb | undefined
  #latestFile: Uint8Array | undefined
  /** The ledger's current key (the last of its key history). */
  #publicKey: Uint8Array | undefined
  /** The blob keys the identity reads with: its own, then those of earlier node keys. */
  #blobKeys: Uint8Array[] = []

  /** `snapshot` is shared by both passes of one verification: the database is copied once. */
  constructor(dir: string, snapshot: DataDirSnapshot, identity: NodeIdentity | undefined) {
    this.#dir = dir
    this.#snapshot = snapshot
    this.#identity = identity
  }

  get #opened(): LedgerDb {
    if (this.#db === undefined) throw new Error('the data directory source is not open')
    return this.#db
  }

  async open(warm: (sourceBytes: number) => void): Promise<SourceHeader> {
    this.#snapshot.prepared ??= copyDataDir(this.#dir, this.#snapshot.copy, warm)
    this.#latestFile = await this.#snapshot.prepared
    const db = openLevel(this.#snapshot.copy, false)
    try {
      await db.open()
    } catch (err) {
      throw new Failure(`the ledger database does not open: ${this.#inDataDir((err as Error).message)}`)
    }
    this.#db = db
    return this.#reading(async () => {
      const metaBytes = await db.get(META_KEY)
      if (metaBytes === undefined) throw new Failure('the database has no ledger format record')
      const meta = decodeMeta(metaBytes)
      const tiled = (await afterLastNumberKey(db, PREFIX.tile)) * TILE_WIDTH
      const total = Math.max(tiled, await afterLastNumberKey(db, PREFIX.entry))
      const keyRotations = await keyRotationEntries(db, tiled)
      this.#publicKey = currentKey(meta.origin, meta.publicKey, keyRotations.at(-1)?.bytes)
      return { origin: meta.origin, publicKey: meta.publicKey, keyRotations, total }
    })
  }

  async *checkpoints(): AsyncGenerator<SourceCheckpoint> {
    // checked here, right after the audit has checked the ledger's key and origin, as it always was
    if (this.#identity !== undefined && !bytesEqual(this.#identity.signingPublicKey, this.#publicKey!))
      throw new Failure("the identity given to check blobs is not this ledger's node key")
    if (this.#identity !== undefined)
      this.#blobKeys = await readBlobKeys(this.#opened, deriveBlobKey(this.#identity.secrets.signingSeed))
    const db = this.#opened
    const notes = db.iterator(prefixRange(new Uint8Array([PREFIX.checkpoint])))
    try {
      for (;;) {
        const next = await this.#reading(() => notes.next())
        if (next === undefined) break
        const [key, note] = next
        const size = numberOfKey(key)
        const where = `the stored checkpoint at size ${size}`
        yield { note: sourceNote(note, where), where, storedSize: size }
      }
    } finally {
      await notes.close()
    }
    if (this.#latestFile !== undefined) {
      const where = `the ${LATEST_CHECKPOINT_FILE} file`
      yield { note: sourceNote(this.#latestFile, where), where }
    }
  }

  blobStatus = (hash: Uint8Array, stored: Uint8Array | undefined): Promise<BlobStatus> =>
    this.#reading(async () => {
      const sealed = await this.#opened.get(blobKey(hash))
      if (sealed === undefined) return 'missing'
      // the entry's commitment to the stored bytes needs no key (docs/ledger.md §4)
      if (stored !== undefined && !bytesEqual(sha256(sealed), stored)) return 'altered'
      if (this.#blobKeys.length === 0) return stored === undefined ? 'present' : 'stored-ok'
      for (const key of this.#blobKeys) {
        const bytes = openBlob(key, sealed)
        if (bytes !== undefined) return bytesEqual(blobHash(bytes), hash) ? 'ok' : 'altered'
      }
      return 'altered'
    })

  /** Full tiles first, then the entries after the last of them (layout.ts). */
  entries(sink: EntrySink): Promise<void> {
    const db = this.#opened
    return this.#reading(async () => {
      await eachRecord(db, PREFIX.tile, TILE_READ_BATCH, (key, value) => {
        const tile = numberOfKey(key)
        const first = tile * TILE_WIDTH
        const where = `tile ${tile} (entries ${first}..${first + TILE_WIDTH - 1})`
        const run = parseEntryRun(value, true)
        if (typeof run === 'string') throw new Failure(`${where} ${run}`, first)
        if (run.count === TILE_WIDTH) return sink.run(first, run)
        // a tile of another size: its entries' own sequence numbers say which one is out of place
        return (async () => {
          await sink.run(first, run)
          const seq = first + Math.min(run.count, TILE_WIDTH)
          throw new Failure(
            run.count < TILE_WIDTH
              ? `entry ${seq} is missing from ${where}`
              : `${where} holds ${run.count} entries, more than ${TILE_WIDTH}`,
            seq,
          )
        })()
      })
      await eachRecord(db, PREFIX.entry, ENTRY_READ_BATCH, (key, value) => {
        const seq = numberOfKey(key)
        const split = splitEntryValue(value)
        if (split === undefined) throw new Failure(`entry ${seq} is too short to hold its leaf hash`, seq)
        return sink.entry(seq, split.bytes, split.leafHash)
      })
      await sink.end()
    })
  }

  async close(): Promise<void> {
    await this.#db?.close()
  }

  /** Runs a read of the copy: LevelDB's own error for a damaged table or log becomes the report's problem. */
  async #reading<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read()
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string' && code.startsWith('LEVEL_'))
        throw new Failure(`the ledger database cannot be read: ${this.#inDataDir((err as Error).message)}`)
      throw err
    }
  }

  /**
   * A LevelDB message about the copy, naming files where the auditor finds them: in the data
   * directory, not the temporary copy that is gone when the report is read.
   */
  #inDataDir(message: string): string {
    return message.replaceAll(this.#snapshot.copy, join(this.#dir, DB_DIR))
  }
}

/** The key the last rotation hands over to, or the first key; a bad rotation is the audit's to report. */
function currentKey(origin: string, firstKey: Uint8Array, lastRotation: Uint8Array | undefined): Uint8Array {
  if (lastRotation === undefined) return firstKey
  try {
    return readKeyRotation(decodeEntry(lastRotation), origin).newKey
  } catch {
    return firstKey
  }
}

/** Hands every record under `prefix` to `each` in key order, reading the next batch meanwhile. */
async function eachRecord(
  db: LedgerDb,
  prefix: number,
  batchSize: number,
  each: (key: Uint8Array, value: Uint8Array) => Promise<void> | undefined,
): Promise<void> {
  const records = db.iterator(prefixRange(new Uint8Array([prefix])))
  try {
    // LevelDB reads on libuv's thread pool: the next batch is read while this one is checked
    const read = () => {
      const batch = records.nextv(batchSize)
      // a read still running when a failure ends the loop must not become an unhandled rejection
      batch.catch(() => {})
      return batch
    }
    let next = read()
    for (;;) {
      const batch = await next
      if (batch.length === 0) break
      next = read()
      for (const [key, value] of batch) {
        const pending = each(key, value)
        if (pending !== undefined) await pending
      }
    }
  } finally {
    await records.close()
  }
}
