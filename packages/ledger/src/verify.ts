import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm, stat } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
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
import type { ChunkResult } from './chunk.ts'
import { ChunkPool } from './chunk-pool.ts'
import { HASH_LENGTH, MAX_ENTRY_BYTES, PROGRESS_EVERY } from './constants.ts'
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
import { EMPTY_ROOT, foldRange, hashLeaf, MerkleFrontier } from './merkle.ts'

export interface VerifyProgress {
  verified: number
  total: number
  /** True in the in-order second pass that follows a problem found by worker threads. */
  recheck?: boolean
}

export interface VerifyOptions {
  onProgress?: (progress: VerifyProgress) => void
  /** The key the ledger must be signed by (e.g. from the roster). Without it the source's own is used. */
  publicKey?: Uint8Array
  /** Data directory only: the node identity, so blobs can be decrypted and their hashes checked. */
  identity?: NodeIdentity
  /**
   * Worker threads that decode and hash entries side by side (default: one per CPU, at most 8);
   * 0 checks everything on the calling thread. Ledgers under 50,000 entries always use 0.
   */
  threads?: number
  /** Entries per chunk handed to a worker, a power of two (default 4096). For tests and tuning. */
  chunkEntries?: number
  /** Smallest ledger checked with worker threads (default 50,000). For tests and tuning. */
  parallelFrom?: number
}

const DEFAULT_CHUNK_ENTRIES = 4096
const DEFAULT_PARALLEL_FROM = 50_000
const MAX_THREADS = 8
/** Entries per LevelDB read in a data directory. */
const ENTRY_READ_BATCH = 4096
/** Chunks in flight per worker: enough to keep each busy while the source is read. */
const CHUNKS_IN_FLIGHT_PER_THREAD = 2

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
  /** Worker threads that decoded and hashed entries (0: all on the calling thread). */
  threads: number
  /** When not ok: the first bad entry (when the problem is one) and why. */
  problem?: { seq?: number; reason: string }
}

type BlobStatus = 'ok' | 'present' | 'missing' | 'altered'
type BlobLookup = (hash: Uint8Array) => Promise<BlobStatus>

/** Where a source hands its entries, in order; a promise means "wait before the next one". */
interface EntrySink {
  entry(seq: number, bytes: Uint8Array, storedLeaf?: Uint8Array): Promise<void> | undefined
  end(): Promise<void>
}

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
  readonly #options: VerifyOptions
  #lastTime = 0
  /** Size of the last checkpoint the entries so far matched: bad entries lie beyond it. */
  #goodUpTo = 0
  #maxCheckpointSize = -1
  /** Chunked mode: the tree over whole chunks (each a perfect subtree), as leaves one level up. */
  #chunkRoots: MerkleFrontier | undefined
  /** Chunked mode: the frontier of the last, partial chunk. */
  #tail: Uint8Array[] = []
  #chunkedSize = 0
  #pool: ChunkPool | undefined

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
    this.#options = options
    this.report = {
      ok: false,
      source,
      origin,
      publicKey: this.#publicKey,
      entries: 0,
      checkpoints: 0,
      threads: 0,
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

  /**
   * Where the source should hand its entries: this thread, or worker threads for a large ledger
   * when the caller allows them. `storedLeaves` says whether the source stores leaf hashes.
   */
  sink(blobStatus: BlobLookup, storedLeaves: boolean): EntrySink {
    this.#onProgress?.({ verified: 0, total: this.#total })
    const threads = Math.min(this.#options.threads ?? availableParallelism(), MAX_THREADS)
    if (threads < 1 || this.#total < (this.#options.parallelFrom ?? DEFAULT_PARALLEL_FROM))
      return {
        entry: (seq, bytes, storedLeaf) => this.entry(seq, bytes, blobStatus, storedLeaf),
        end: async () => {},
      }
    const capacity = this.#options.chunkEntries ?? DEFAULT_CHUNK_ENTRIES
    if (!Number.isInteger(Math.log2(capacity))) throw new RangeError('chunkEntries must be a power of two')
    this.#pool = new ChunkPool(threads)
    this.report.threads = threads
    this.#chunkRoots = new MerkleFrontier()
    return new ChunkedEntries(this, this.#pool, blobStatus, capacity, storedLeaves, threads)
  }

  /** Every signed checkpoint size, ascending (all checkpoints come before the entries in every source). */
  checkpointSizes(): number[] {
    return [...this.#bySize.keys()].sort((a, b) => a - b)
  }

  /** Chunked mode: the main-thread half of checking a chunk a worker has checked. */
  async acceptChunk(
    start: number,
    count: number,
    capacity: number,
    cuts: number[],
    result: Extract<ChunkResult, { ok: true }>,
    blobStatus: BlobLookup,
  ): Promise<void> {
    if (start !== this.#chunkedSize || this.#tail.length > 0)
      throw new Failure(`entry ${this.#chunkedSize} is missing`, this.#chunkedSize)
    if (result.firstTime < this.#lastTime)
      throw new Failure(
        `entry ${start} has time ${result.firstTime}, before the previous entry's ${this.#lastTime}`,
        start,
      )
    for (const ref of result.blobRefs) await this.#checkBlobs(ref.seq, ref.hashes, blobStatus)
    const whole = this.#chunkRoots!.hashes()
    cuts.forEach((cut, i) => {
      const size = start + cut
      const root = foldRange([...whole, ...result.cutFrontiers[i]!])
      if (!bytesEqual(root, this.#bySize.get(size)![0]!.root))
        throw new Failure(`the entries do not hash to the root signed at size ${size}`, this.#goodUpTo)
      this.#goodUpTo = size
    })
    if (count === capacity) this.#chunkRoots!.append(result.frontier[0]!)
    else this.#tail = result.frontier
    this.#lastTime = result.lastTime
    this.#chunkedSize = start + count
    this.report.entries = this.#chunkedSize
    this.#onProgress?.({ verified: this.#chunkedSize, total: this.#total })
  }

  async close(): Promise<void> {
    await this.#pool?.close()
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
    const chunked = this.#chunkRoots !== undefined
    const size = chunked ? this.#chunkedSize : this.#frontier.size
    if (this.#maxCheckpointSize > size)
      throw new Failure(
        `entries ${size}..${this.#maxCheckpointSize - 1} are missing: a checkpoint signs size ${this.#maxCheckpointSize}`,
        size,
      )
    this.#onProgress?.({ verified: size, total: this.#total })
    this.report.root = chunked
      ? foldRange([...this.#chunkRoots!.hashes(), ...this.#tail])
      : this.#frontier.root()
    this.report.ok = true
    return this.report
  }
}

/**
 * Packs entries into chunks of `capacity` (the chunk at index k holds entries k·capacity …), has
 * workers decode and hash them, and hands the results back to the audit in order.
 */
class ChunkedEntries implements EntrySink {
  readonly #audit: Audit
  readonly #pool: ChunkPool
  readonly #blobStatus: BlobLookup
  readonly #capacity: number
  readonly #storedLeaves: boolean
  readonly #maxInFlight: number
  readonly #inFlight: Array<{ start: number; count: number; cuts: number[]; result: Promise<ChunkResult> }> =
    []
  readonly #cutSizes: number[]
  #nextCut = 0
  #expected = 0
  #start = 0
  #count = 0
  #used = 0
  #leaves = new Uint8Array(0)
  #offsets = new Uint32Array(0)
  #stored: Uint8Array | undefined

  constructor(
    audit: Audit,
    pool: ChunkPool,
    blobStatus: BlobLookup,
    capacity: number,
    storedLeaves: boolean,
    threads: number,
  ) {
    this.#audit = audit
    this.#pool = pool
    this.#blobStatus = blobStatus
    this.#capacity = capacity
    this.#storedLeaves = storedLeaves
    this.#maxInFlight = threads * CHUNKS_IN_FLIGHT_PER_THREAD
    this.#cutSizes = audit.checkpointSizes()
    this.#reset()
  }

  #reset(): void {
    this.#start = this.#expected
    this.#count = 0
    this.#used = 0
    // typical entries are ~150 bytes; #append grows the buffer when they are not
    this.#leaves = new Uint8Array(this.#capacity * 256)
    this.#offsets = new Uint32Array(this.#capacity + 1)
    this.#stored = this.#storedLeaves ? new Uint8Array(this.#capacity * HASH_LENGTH) : undefined
  }

  entry(seq: number, bytes: Uint8Array, storedLeaf?: Uint8Array): Promise<void> | undefined {
    if (seq !== this.#expected)
      throw new Failure(
        `entry ${this.#expected} is missing (the next stored entry is ${seq})`,
        this.#expected,
      )
    if (bytes.length > MAX_ENTRY_BYTES)
      throw new Failure(`entry ${seq} is over ${MAX_ENTRY_BYTES} bytes`, seq)
    if (this.#used + 1 + bytes.length > this.#leaves.length) {
      const grown = new Uint8Array(Math.max(this.#leaves.length * 2, this.#used + 1 + bytes.length))
      grown.set(this.#leaves.subarray(0, this.#used))
      this.#leaves = grown
    }
    this.#leaves[this.#used] = 0x00
    this.#leaves.set(bytes, this.#used + 1)
    if (this.#stored !== undefined && storedLeaf !== undefined)
      this.#stored.set(storedLeaf, this.#count * HASH_LENGTH)
    this.#used += 1 + bytes.length
    this.#count++
    this.#offsets[this.#count] = this.#used
    this.#expected++
    if (this.#count < this.#capacity) return undefined
    this.#dispatch()
    return this.#inFlight.length >= this.#maxInFlight ? this.#acceptOldest() : undefined
  }

  async end(): Promise<void> {
    if (this.#count > 0) this.#dispatch()
    while (this.#inFlight.length > 0) await this.#acceptOldest()
  }

  #dispatch(): void {
    const start = this.#start
    const count = this.#count
    // chunks go out in order, so one pass over the sorted sizes finds each chunk's cuts
    const cuts: number[] = []
    while (this.#nextCut < this.#cutSizes.length && this.#cutSizes[this.#nextCut]! <= start + count) {
      const size = this.#cutSizes[this.#nextCut++]!
      if (size > start) cuts.push(size - start)
    }
    const result = this.#pool.check({
      start,
      leaves: this.#leaves,
      offsets: count === this.#capacity ? this.#offsets : this.#offsets.slice(0, count + 1),
      ...(this.#stored !== undefined && { storedLeaves: this.#stored }),
      cuts,
    })
    // a chunk left behind by an earlier failure must not become an unhandled rejection
    result.catch(() => {})
    this.#inFlight.push({ start, count, cuts, result })
    this.#reset()
  }

  async #acceptOldest(): Promise<void> {
    const chunk = this.#inFlight.shift()!
    const result = await chunk.result
    if (!result.ok) throw new Failure(`entry ${result.seq} ${result.reason}`, result.seq)
    await this.#audit.acceptChunk(
      chunk.start,
      chunk.count,
      this.#capacity,
      chunk.cuts,
      result,
      this.#blobStatus,
    )
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
      threads: 0,
      blobs: { referenced: 0, hashChecked: 0, presenceOnly: 0 },
    }
    return {
      ...base,
      ok: false,
      problem: seq === undefined ? { reason: err.message } : { seq, reason: err.message },
    }
  } finally {
    await audit?.close()
  }
}

/**
 * Verifies a ledger offline: a data directory (the ledger's own `dir`) or an export bundle file.
 * Never writes to the source: a data directory's LevelDB is copied to a temporary directory and
 * the copy is opened (LevelDB writes on open, and the node may hold its lock).
 */
export async function verifyLedger(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const info = await stat(path)
  const once = (opts: VerifyOptions) =>
    info.isDirectory() ? verifyDataDir(path, opts) : verifyBundle(path, opts)
  if (options.threads === 0) return once(options)
  const report = await once(options)
  if (report.ok) return report
  // Workers find that something is wrong, not always which entry comes first (a checkpoint may
  // fail on a chunk whose entries are fine). A second pass in order names the first bad entry
  // exactly as a one-thread check would; failures are rare, so the cost is paid only then.
  const onProgress = options.onProgress
  return once({
    ...options,
    threads: 0,
    ...(onProgress !== undefined && {
      onProgress: (p: VerifyProgress) => onProgress({ ...p, recheck: true }),
    }),
  })
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

  const sink = audit.sink(blobStatus, true)
  const entries = db.iterator(prefixRange(new Uint8Array([PREFIX.entry])))
  try {
    // read the next batch while this one is checked: LevelDB reads on libuv's thread pool
    const read = () => {
      const batch = entries.nextv(ENTRY_READ_BATCH)
      // a read still running when a failure ends the loop must not become an unhandled rejection
      batch.catch(() => {})
      return batch
    }
    let next = read()
    for (;;) {
      const chunk = await next
      if (chunk.length === 0) break
      next = read()
      for (const [key, value] of chunk) {
        const seq = readU64(key, 1)
        const split = splitEntryValue(value)
        if (split === undefined) throw new Failure(`entry ${seq} is too short to hold its leaf hash`, seq)
        const pending = sink.entry(seq, split.bytes, split.leafHash)
        if (pending !== undefined) await pending
      }
    }
  } finally {
    await entries.close()
  }
  await sink.end()
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
  let sink: EntrySink | undefined
  let declaredSize = 0
  let seq = 0
  let blobCount = 0
  let checkpointCount = 0
  let trailerSeen = false
  const blobs = new Map<string, BlobStatus>()
  const blobStatus = async (hash: Uint8Array): Promise<BlobStatus> => blobs.get(toHex(hash)) ?? 'missing'

  for await (const batch of readBundleRecords(path))
    for (const record of batch) {
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
          // blob records all precede the entries, so the lookup table is complete by now
          sink ??= audit!.sink(blobStatus, false)
          const pending = sink.entry(seq, record.payload)
          if (pending !== undefined) await pending
          seq++
          break
        }
        case RECORD.trailer: {
          await sink?.end()
          const trailer = decodeBundleTrailer(record.payload)
          if (
            trailer.entries !== seq ||
            trailer.checkpoints !== checkpointCount ||
            trailer.blobs !== blobCount
          )
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
