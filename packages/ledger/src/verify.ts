import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { bytesEqual, type NodeIdentity, toHex } from '@pocnet/crypto'
import { blobHash, deriveBlobKey, openBlob } from './blobs.ts'
import {
  decodeBundleBlob,
  decodeBundleHeader,
  decodeBundleTrailer,
  RECORD,
  readBundleRecords,
} from './bundle.ts'
import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { MAX_ENTRY_BYTES, PROGRESS_EVERY } from './constants.ts'
import { decodeEntry } from './entry.ts'
import { LedgerError } from './errors.ts'
import { blobKey, META_KEY, PREFIX, prefixRange, readU64, splitEntryValue } from './layout.ts'
import {
  DB_DIR,
  decodeMeta,
  LATEST_CHECKPOINT_FILE,
  type LedgerDb,
  openLevel,
  readLatestCheckpointFile,
} from './ledger.ts'
import { EMPTY_ROOT, hashLeaf, MerkleFrontier } from './merkle.ts'

export interface VerifyProgress {
  verified: number
  total: number
}

export interface VerifyOptions {
  onProgress?: (progress: VerifyProgress) => void
  /** The key the ledger must be signed by (e.g. from the roster). Without it the source's own is used. */
  publicKey?: Uint8Array
  /** Data directory only: the node identity, so blobs can be decrypted and their hashes checked. */
  identity?: NodeIdentity
}

export interface VerifyReport {
  ok: boolean
  source: 'data-dir' | 'bundle'
  origin?: string
  /** The key checkpoints were checked against: compare it with the roster when not pinned. */
  publicKey?: Uint8Array
  /** Entries verified (all of them when ok). */
  entries: number
  /** Root of the verified entries. */
  root?: Uint8Array
  checkpoints: number
  latestCheckpoint?: SignedCheckpoint
  blobs: {
    /** References from entries to blobs. */
    referenced: number
    /** Blob bytes hashed and found right. */
    hashChecked: number
    /** Blobs only known to be present (no key for a data directory; hash list only in a bundle). */
    presenceOnly: number
  }
  /** When not ok: the first bad entry (when the problem is one) and why. */
  problem?: { seq?: number; reason: string }
}

type BlobStatus = 'ok' | 'present' | 'missing' | 'altered'

class Failure extends Error {
  readonly seq: number | undefined
  constructor(reason: string, seq?: number) {
    super(reason)
    this.seq = seq
  }
}

/** One pass over a ledger's content, in the order every source can supply it. */
class Audit {
  readonly report: VerifyReport
  readonly #publicKey: Uint8Array
  readonly #origin: string
  readonly #bySize = new Map<number, SignedCheckpoint[]>()
  readonly #frontier = new MerkleFrontier()
  readonly #onProgress: ((p: VerifyProgress) => void) | undefined
  readonly #total: number
  #lastTime = 0
  /** Size of the last checkpoint the entries so far matched: bad entries lie beyond it. */
  #goodUpTo = 0
  #maxCheckpointSize = -1

  constructor(
    source: VerifyReport['source'],
    origin: string,
    sourceKey: Uint8Array,
    total: number,
    options: VerifyOptions,
  ) {
    if (options.publicKey !== undefined && !bytesEqual(options.publicKey, sourceKey))
      throw new Failure(
        `the ledger's key ${toHex(sourceKey)} is not the expected key ${toHex(options.publicKey)}`,
      )
    this.#publicKey = options.publicKey ?? sourceKey
    this.#origin = origin
    this.#total = total
    this.#onProgress = options.onProgress
    this.report = {
      ok: false,
      source,
      origin,
      publicKey: this.#publicKey,
      entries: 0,
      checkpoints: 0,
      blobs: { referenced: 0, hashChecked: 0, presenceOnly: 0 },
    }
  }

  /** Checks a checkpoint's signature and origin; its root is checked when the entries reach its size. */
  checkpoint(note: string, where: string, storedSize?: number): void {
    let cp: SignedCheckpoint
    try {
      cp = verifyCheckpoint(note, this.#publicKey)
    } catch (err) {
      throw new Failure(`${where}: ${(err as Error).message}`)
    }
    if (cp.origin !== this.#origin)
      throw new Failure(`${where}: origin ${cp.origin} is not the ledger's ${this.#origin}`)
    if (storedSize !== undefined && storedSize !== cp.size)
      throw new Failure(`${where}: stored under size ${storedSize} but signs size ${cp.size}`)
    const same = this.#bySize.get(cp.size) ?? []
    if (same.some((other) => !bytesEqual(other.root, cp.root)))
      throw new Failure(`two validly signed checkpoints for size ${cp.size} have different roots (a fork)`)
    same.push(cp)
    this.#bySize.set(cp.size, same)
    if (cp.size > this.#maxCheckpointSize) {
      this.#maxCheckpointSize = cp.size
      this.report.latestCheckpoint = cp
    }
    this.report.checkpoints++
    if (cp.size === 0 && !bytesEqual(cp.root, EMPTY_ROOT))
      throw new Failure('the checkpoint at size 0 does not sign the empty tree')
  }

  /** Checks the next entry; returns a promise only when blobs must be looked up (most entries have none). */
  entry(
    seq: number,
    bytes: Uint8Array,
    blobStatus: (hash: Uint8Array) => Promise<BlobStatus>,
    storedLeaf?: Uint8Array,
  ): Promise<void> | undefined {
    const expected = this.#frontier.size
    if (seq !== expected)
      throw new Failure(`entry ${expected} is missing (the next stored entry is ${seq})`, expected)
    if (bytes.length > MAX_ENTRY_BYTES)
      throw new Failure(`entry ${seq} is over ${MAX_ENTRY_BYTES} bytes`, seq)
    let entry: ReturnType<typeof decodeEntry>
    try {
      entry = decodeEntry(bytes)
    } catch (err) {
      throw new Failure(`entry ${seq} is not a valid entry: ${(err as Error).message}`, seq)
    }
    if (entry.seq !== seq) throw new Failure(`entry ${seq} carries sequence number ${entry.seq}`, seq)
    if (entry.time < this.#lastTime)
      throw new Failure(
        `entry ${seq} has time ${entry.time}, before the previous entry's ${this.#lastTime}`,
        seq,
      )
    const leaf = hashLeaf(bytes)
    if (storedLeaf !== undefined && !bytesEqual(storedLeaf, leaf))
      throw new Failure(`entry ${seq} does not match its stored leaf hash: its bytes were changed`, seq)
    if (entry.blobs.length === 0) {
      this.#accept(entry.time, leaf)
      return undefined
    }
    return this.#checkBlobs(seq, entry.blobs, blobStatus).then(() => this.#accept(entry.time, leaf))
  }

  async #checkBlobs(
    seq: number,
    hashes: Uint8Array[],
    blobStatus: (hash: Uint8Array) => Promise<BlobStatus>,
  ): Promise<void> {
    for (const hash of hashes) {
      this.report.blobs.referenced++
      const status = await blobStatus(hash)
      if (status === 'missing')
        throw new Failure(`entry ${seq} refers to blob ${toHex(hash)}, which is missing`, seq)
      if (status === 'altered')
        throw new Failure(`entry ${seq} refers to blob ${toHex(hash)}, whose stored bytes were altered`, seq)
      if (status === 'ok') this.report.blobs.hashChecked++
      else this.report.blobs.presenceOnly++
    }
  }

  /** Adds a checked entry to the tree and compares the root with any checkpoint of the new size. */
  #accept(time: number, leaf: Uint8Array): void {
    this.#lastTime = time
    this.#frontier.append(leaf)
    const size = this.#frontier.size
    this.report.entries = size
    const signed = this.#bySize.get(size)
    if (signed !== undefined) {
      const root = this.#frontier.root()
      if (!bytesEqual(root, signed[0]!.root))
        throw new Failure(
          `entries ${this.#goodUpTo}..${size - 1} do not hash to the root signed at size ${size}: ` +
            `the first bad entry is among them`,
          this.#goodUpTo,
        )
      this.#goodUpTo = size
    }
    if (size % PROGRESS_EVERY === 0) this.#onProgress?.({ verified: size, total: this.#total })
  }

  finish(): VerifyReport {
    const size = this.#frontier.size
    if (this.#maxCheckpointSize > size)
      throw new Failure(
        `entries ${size}..${this.#maxCheckpointSize - 1} are missing: a checkpoint signs size ${this.#maxCheckpointSize}`,
        size,
      )
    this.#onProgress?.({ verified: size, total: this.#total })
    this.report.root = this.#frontier.root()
    this.report.ok = true
    return this.report
  }
}

async function run(
  source: VerifyReport['source'],
  body: (start: (origin: string, key: Uint8Array, total: number) => Audit) => Promise<void>,
  options: VerifyOptions,
): Promise<VerifyReport> {
  let audit: Audit | undefined
  try {
    await body((origin, key, total) => {
      audit = new Audit(source, origin, key, total, options)
      return audit
    })
    if (audit === undefined) throw new Failure('the source holds no ledger')
    return audit.finish()
  } catch (err) {
    if (!(err instanceof Failure) && !(err instanceof LedgerError)) throw err
    const seq = err instanceof Failure ? err.seq : undefined
    const base: VerifyReport = audit?.report ?? {
      ok: false,
      source,
      entries: 0,
      checkpoints: 0,
      blobs: { referenced: 0, hashChecked: 0, presenceOnly: 0 },
    }
    return {
      ...base,
      ok: false,
      problem: seq === undefined ? { reason: err.message } : { seq, reason: err.message },
    }
  }
}

/**
 * Verifies a ledger offline: a data directory (the ledger's own `dir`) or an export bundle file.
 * Never writes to the source: a data directory's LevelDB is copied to a temporary directory and
 * the copy is opened (LevelDB writes on open, and the node may hold its lock).
 */
export async function verifyLedger(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const info = await stat(path)
  return info.isDirectory() ? verifyDataDir(path, options) : verifyBundle(path, options)
}

async function verifyDataDir(dir: string, options: VerifyOptions): Promise<VerifyReport> {
  const copy = await mkdtemp(join(tmpdir(), 'pocnet-ledger-verify-'))
  try {
    return await run(
      'data-dir',
      async (start) => {
        const source = join(dir, DB_DIR)
        if (!existsSync(source)) throw new Failure(`${dir} holds no ledger database (${DB_DIR}/)`)
        try {
          await cp(source, copy, { recursive: true, filter: (src) => basename(src) !== 'LOCK' })
        } catch (err) {
          // a running node may compact away a file mid-copy
          throw new Failure(`could not copy ${source} (retry if the node is busy): ${(err as Error).message}`)
        }
        const db = openLevel(copy, false)
        try {
          await db.open()
        } catch (err) {
          throw new Failure(`the ledger database does not open: ${(err as Error).message}`)
        }
        try {
          await auditDb(db, dir, start, options)
        } finally {
          await db.close()
        }
      },
      options,
    )
  } finally {
    await rm(copy, { recursive: true, force: true })
  }
}

async function auditDb(
  db: LedgerDb,
  dir: string,
  start: (origin: string, key: Uint8Array, total: number) => Audit,
  options: VerifyOptions,
): Promise<void> {
  const metaBytes = await db.get(META_KEY)
  if (metaBytes === undefined) throw new Failure('the database has no ledger format record')
  const meta = decodeMeta(metaBytes)
  const last = await db
    .keys({ ...prefixRange(new Uint8Array([PREFIX.entry])), reverse: true, limit: 1 })
    .all()
  const audit = start(meta.origin, meta.publicKey, last.length === 0 ? 0 : readU64(last[0]!, 1) + 1)
  if (options.identity !== undefined && !bytesEqual(options.identity.signingPublicKey, meta.publicKey))
    throw new Failure("the identity given to check blobs is not this ledger's node key")

  for await (const [key, note] of db.iterator(prefixRange(new Uint8Array([PREFIX.checkpoint])))) {
    const size = readU64(key, 1)
    audit.checkpoint(new TextDecoder().decode(note), `the stored checkpoint at size ${size}`, size)
  }
  const latestFile = await readLatestCheckpointFile(dir)
  if (latestFile !== undefined) audit.checkpoint(latestFile, `the ${LATEST_CHECKPOINT_FILE} file`)

  const blobKeyBytes =
    options.identity === undefined ? undefined : deriveBlobKey(options.identity.secrets.signingSeed)
  const blobStatus = async (hash: Uint8Array): Promise<BlobStatus> => {
    const sealed = await db.get(blobKey(hash))
    if (sealed === undefined) return 'missing'
    if (blobKeyBytes === undefined) return 'present'
    const bytes = openBlob(blobKeyBytes, sealed)
    return bytes !== undefined && bytesEqual(blobHash(bytes), hash) ? 'ok' : 'altered'
  }

  const entries = db.iterator(prefixRange(new Uint8Array([PREFIX.entry])))
  try {
    for (;;) {
      const chunk = await entries.nextv(1000)
      if (chunk.length === 0) break
      for (const [key, value] of chunk) {
        const seq = readU64(key, 1)
        const split = splitEntryValue(value)
        if (split === undefined) throw new Failure(`entry ${seq} is too short to hold its leaf hash`, seq)
        const pending = audit.entry(seq, split.bytes, blobStatus, split.leafHash)
        if (pending !== undefined) await pending
      }
    }
  } finally {
    await entries.close()
  }
}

async function verifyBundle(path: string, options: VerifyOptions): Promise<VerifyReport> {
  return run('bundle', (start) => auditBundle(path, start), options)
}

async function auditBundle(
  path: string,
  start: (origin: string, key: Uint8Array, total: number) => Audit,
): Promise<void> {
  // Record order is part of the format: H, C*, B*, E*, Z.
  const order = [RECORD.header, RECORD.checkpoint, RECORD.blob, RECORD.entry, RECORD.trailer]
  let stage = -1
  let audit: Audit | undefined
  let declaredSize = 0
  let seq = 0
  let blobCount = 0
  let checkpointCount = 0
  let trailerSeen = false
  const blobs = new Map<string, BlobStatus>()
  const blobStatus = async (hash: Uint8Array): Promise<BlobStatus> => blobs.get(toHex(hash)) ?? 'missing'

  for await (const record of readBundleRecords(path)) {
    if (trailerSeen) throw new Failure('the bundle has records after its trailer')
    const at = order.indexOf(record.type as (typeof order)[number])
    if (at < 0) throw new Failure(`the bundle holds a record of unknown type 0x${record.type.toString(16)}`)
    if (at < stage || (at === 0 && stage === 0)) throw new Failure('the bundle records are out of order')
    if (stage === -1 && at !== 0) throw new Failure('the bundle does not start with its header')
    stage = at
    switch (record.type) {
      case RECORD.header: {
        const header = decodeBundleHeader(record.payload)
        declaredSize = header.size
        audit = start(header.origin, header.publicKey, header.size)
        break
      }
      case RECORD.checkpoint:
        checkpointCount++
        audit!.checkpoint(
          new TextDecoder().decode(record.payload),
          `checkpoint ${checkpointCount} of the bundle`,
        )
        break
      case RECORD.blob: {
        blobCount++
        const blob = decodeBundleBlob(record.payload)
        const status: BlobStatus =
          blob.bytes === undefined
            ? 'present'
            : bytesEqual(blobHash(blob.bytes), blob.hash)
              ? 'ok'
              : 'altered'
        blobs.set(toHex(blob.hash), status)
        break
      }
      case RECORD.entry: {
        const pending = audit!.entry(seq, record.payload, blobStatus)
        if (pending !== undefined) await pending
        seq++
        break
      }
      case RECORD.trailer: {
        const trailer = decodeBundleTrailer(record.payload)
        if (trailer.entries !== seq || trailer.checkpoints !== checkpointCount || trailer.blobs !== blobCount)
          throw new Failure('the bundle trailer counts do not match its records', seq)
        trailerSeen = true
        break
      }
    }
  }
  if (!trailerSeen) throw new Failure(`the bundle is truncated: no trailer after ${seq} entries`, seq)
  if (seq !== declaredSize)
    throw new Failure(`the bundle header declares ${declaredSize} entries but holds ${seq}`, seq)
}
