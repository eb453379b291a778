import { constants, existsSync } from 'node:fs'
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesEqual, type NodeIdentity, toHex } from '@pocnet/crypto'
import { blobHash, deriveBlobKey, openBlob } from './blobs.ts'
import {
  decodeBundleBlob,
  decodeBundleHeader,
  decodeBundleTrailer,
  RECORD,
  readBundleRecords,
} from './bundle.ts'
import { checkOrigin, type SignedCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { type ChunkResult, leafHashLatin1 } from './chunk.ts'
import { ChunkPool } from './chunk-pool.ts'
import { HASH_LENGTH, MAX_ENTRY_BYTES, PROGRESS_EVERY } from './constants.ts'
import { type EntryFacts, entryFacts } from './entry.ts'
import { LedgerError } from './errors.ts'
import {
  blobKey,
  type EntryRun,
  META_KEY,
  numberOfKey,
  PREFIX,
  packEntryRun,
  parseEntryRun,
  prefixRange,
  splitEntryValue,
  TILE_WIDTH,
} from './layout.ts'
import { EMPTY_ROOT, foldRangeLatin1, hashToLatin1, Latin1Frontier, latin1ToHash } from './merkle.ts'
import {
  afterLastNumberKey,
  DB_DIR,
  decodeMeta,
  LATEST_CHECKPOINT_FILE,
  type LedgerDb,
  openLevel,
  readLatestCheckpointFile,
} from './store.ts'

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
  /**
   * The origin the ledger must carry (e.g. the roster's network and the country): the key alone
   * would also pass a log it signed under another origin. Without it the source's own is used.
   */
  origin?: string
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
/** Records per LevelDB read in a data directory: single entries, or tiles of 256. */
const ENTRY_READ_BATCH = 4096
const TILE_READ_BATCH = 64
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
  /** A stored tile (its entries from `seq` on, with their stored leaf hashes). */
  run(seq: number, run: EntryRun): Promise<void> | undefined
  end(): Promise<void>
}

/** Hands the entries of a run starting at `seq` to `sink.entry`, one by one from its entry `from`. */
function entriesOfRun(sink: EntrySink, seq: number, run: EntryRun, from = 0): Promise<void> | undefined {
  for (let i = from; i < run.count; i++) {
    const bytes = run.bytes.subarray(run.bounds[i]!, run.bounds[i + 1]!)
    const at = run.leavesAt + i * HASH_LENGTH
    const leaf = run.leavesAt < 0 ? undefined : run.bytes.subarray(at, at + HASH_LENGTH)
    const pending = sink.entry(seq + i, bytes, leaf)
    if (pending !== undefined) return pending.then(() => entriesOfRun(sink, seq, run, i + 1))
  }
  return undefined
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
  /** The first checkpoint seen of each size: any other of that size must sign the same root. */
  readonly #bySize = new Map<number, SignedCheckpoint>()
  /** Every checkpoint note whose signature verified, by its text. */
  readonly #verified = new Map<string, SignedCheckpoint>()
  readonly #frontier = new Latin1Frontier()
  readonly #onProgress: ((p: VerifyProgress) => void) | undefined
  readonly #total: number
  readonly #options: VerifyOptions
  #lastTime = 0
  /** Size of the last checkpoint the entries so far matched: bad entries lie beyond it. */
  #goodUpTo = 0
  #maxCheckpointSize = -1
  /** Chunked mode: the tree over whole chunks (each a perfect subtree), as leaves one level up. */
  #chunkRoots: Latin1Frontier | undefined
  /** Chunked mode: the frontier of the last, partial chunk. */
  #tail: string[] = []
  #chunkedSize = 0
  readonly #workers: Workers

  constructor(
    source: VerifyReport['source'],
    origin: string,
    sourceKey: Uint8Array,
    total: number,
    options: VerifyOptions,
    workers: Workers,
  ) {
    if (options.publicKey !== undefined && !bytesEqual(options.publicKey, sourceKey))
      throw new Failure(
        `the ledger's key ${toHex(sourceKey)} is not the expected key ${toHex(options.publicKey)}`,
      )
    this.#publicKey = options.publicKey ?? sourceKey
    // the report and the CLI show the origin: it must be one a checkpoint could carry, even
    // when no checkpoint is there to compare it with (not, say, terminal control sequences)
    try {
      checkOrigin(origin)
    } catch {
      throw new Failure(
        "the ledger's origin is not a valid checkpoint origin (1-255 printable ASCII characters without spaces or '+')",
      )
    }
    if (options.origin !== undefined && origin !== options.origin)
      throw new Failure(
        `its checkpoints are of the log "${origin}", not "${options.origin}": signed with that key, but another ledger`,
      )
    this.#origin = origin
    this.#total = total
    this.#onProgress = options.onProgress
    this.#options = options
    this.#workers = workers
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

  /**
   * Reports progress. The total is what the source declared (a bundle's header): a lie must not
   * show more entries verified than in all (a progress bar drawn from it would break).
   */
  #progress(verified: number): void {
    this.#onProgress?.({ verified, total: Math.max(this.#total, verified) })
  }

  /** Checks a checkpoint's signature and origin; its root is checked when the entries reach its size. */
  checkpoint(note: string, where: string, storedSize?: number): void {
    // the same note again (a bundle may repeat one) needs no second signature check
    let cp = this.#verified.get(note)
    if (cp === undefined) {
      try {
        cp = verifyCheckpoint(note, this.#publicKey)
      } catch (err) {
        throw new Failure(`${where}: ${(err as Error).message}`)
      }
      this.#verified.set(note, cp)
    }
    if (cp.origin !== this.#origin)
      throw new Failure(`${where}: origin ${cp.origin} is not the ledger's ${this.#origin}`)
    if (storedSize !== undefined && storedSize !== cp.size)
      throw new Failure(`${where}: stored under size ${storedSize} but signs size ${cp.size}`)
    // one per size is kept: comparing each with every other of its size would take quadratic time
    const same = this.#bySize.get(cp.size)
    if (same !== undefined && !bytesEqual(same.root, cp.root))
      throw new Failure(`two validly signed checkpoints for size ${cp.size} have different roots (a fork)`)
    if (same === undefined) this.#bySize.set(cp.size, cp)
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
    this.#progress(0)
    const threads = this.#workers.threads
    if (threads < 1 || this.#total < (this.#options.parallelFrom ?? DEFAULT_PARALLEL_FROM)) {
      const sink: EntrySink = {
        entry: (seq, bytes, storedLeaf) => this.entry(seq, bytes, blobStatus, storedLeaf),
        run: (seq, run) => entriesOfRun(sink, seq, run),
        end: async () => {},
      }
      return sink
    }
    const capacity = this.#options.chunkEntries ?? DEFAULT_CHUNK_ENTRIES
    if (!Number.isInteger(Math.log2(capacity))) throw new RangeError('chunkEntries must be a power of two')
    this.report.threads = threads
    this.#chunkRoots = new Latin1Frontier()
    return new ChunkedEntries(this, this.#workers.pool(), blobStatus, capacity, storedLeaves, threads)
  }

  /** The root signed at `size` (checked: all checkpoints of one size agree), as latin1. */
  #signedRoot(size: number): string | undefined {
    const signed = this.#bySize.get(size)
    return signed === undefined ? undefined : hashToLatin1(signed.root)
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
      const root = foldRangeLatin1([...whole, ...result.cutFrontiers[i]!])
      if (root !== this.#signedRoot(size))
        throw new Failure(`the entries do not hash to the root signed at size ${size}`, this.#goodUpTo)
      this.#goodUpTo = size
    })
    if (count === capacity) this.#chunkRoots!.append(result.frontier[0]!)
    else this.#tail = result.frontier
    this.#lastTime = result.lastTime
    this.#chunkedSize = start + count
    this.report.entries = this.#chunkedSize
    this.#progress(this.#chunkedSize)
  }

  /** Checks the next entry; returns a promise only when blobs must be looked up (most entries have none). */
  entry(
    seq: number,
    bytes: Uint8Array,
    blobStatus: (hash: Uint8Array) => Promise<BlobStatus>,
    storedLeaf?: Uint8Array,
  ): Promise<void> | undefined {
    const expected = this.#frontier.size
    if (seq < expected) throw new Failure(`entry ${seq} is stored more than once`, seq)
    if (seq !== expected)
      throw new Failure(`entry ${expected} is missing (the next stored entry is ${seq})`, expected)
    if (bytes.length > MAX_ENTRY_BYTES)
      throw new Failure(`entry ${seq} is over ${MAX_ENTRY_BYTES} bytes`, seq)
    let entry: EntryFacts
    try {
      entry = entryFacts(bytes)
    } catch (err) {
      throw new Failure(`entry ${seq} is not a valid entry: ${(err as Error).message}`, seq)
    }
    if (entry.seq !== seq) throw new Failure(`entry ${seq} carries sequence number ${entry.seq}`, seq)
    if (entry.time < this.#lastTime)
      throw new Failure(
        `entry ${seq} has time ${entry.time}, before the previous entry's ${this.#lastTime}`,
        seq,
      )
    const leaf = leafHashLatin1(bytes)
    if (storedLeaf !== undefined && hashToLatin1(storedLeaf) !== leaf)
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
  #accept(time: number, leaf: string): void {
    this.#lastTime = time
    this.#frontier.append(leaf)
    const size = this.#frontier.size
    this.report.entries = size
    const signed = this.#signedRoot(size)
    if (signed !== undefined) {
      if (this.#frontier.root() !== signed)
        throw new Failure(
          `entries ${this.#goodUpTo}..${size - 1} do not hash to the root signed at size ${size}: ` +
            `the first bad entry is among them`,
          this.#goodUpTo,
        )
      this.#goodUpTo = size
    }
    if (size % PROGRESS_EVERY === 0) this.#progress(size)
  }

  finish(): VerifyReport {
    const chunked = this.#chunkRoots !== undefined
    const size = chunked ? this.#chunkedSize : this.#frontier.size
    if (this.#maxCheckpointSize > size)
      throw new Failure(
        `entries ${size}..${this.#maxCheckpointSize - 1} are missing: a checkpoint signs size ${this.#maxCheckpointSize}`,
        size,
      )
    this.#progress(size)
    this.report.root = latin1ToHash(
      chunked ? foldRangeLatin1([...this.#chunkRoots!.hashes(), ...this.#tail]) : this.#frontier.root(),
    )
    this.report.ok = true
    return this.report
  }
}

/**
 * Gathers entries into chunks of `capacity` (the chunk at index k holds entries k·capacity …),
 * has workers decode and hash them, and hands the results back to the audit in order. Stored
 * tiles go to the workers as read; single entries are packed into runs of the same layout.
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
  /** The chunk being gathered: its first entry, its entry count and its finished runs. */
  #start = 0
  #count = 0
  #runs: Uint8Array[] = []
  /** The run being packed from single entries: their bytes back to back, ends and leaf hashes. */
  #packed = 0
  #used = 0
  #bytes = new Uint8Array(0)
  #ends = new Uint32Array(0)
  #leaves = new Uint8Array(0)

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
    this.#ends = new Uint32Array(capacity)
    this.#leaves = new Uint8Array(storedLeaves ? capacity * HASH_LENGTH : 0)
    // typical entries are ~150 bytes; #pack grows the buffer when they are not
    this.#bytes = new Uint8Array(capacity * 256)
  }

  #checkNext(seq: number): void {
    if (seq < this.#expected) throw new Failure(`entry ${seq} is stored more than once`, seq)
    if (seq !== this.#expected)
      throw new Failure(
        `entry ${this.#expected} is missing (the next stored entry is ${seq})`,
        this.#expected,
      )
  }

  entry(seq: number, bytes: Uint8Array, storedLeaf?: Uint8Array): Promise<void> | undefined {
    this.#checkNext(seq)
    if (bytes.length > MAX_ENTRY_BYTES)
      throw new Failure(`entry ${seq} is over ${MAX_ENTRY_BYTES} bytes`, seq)
    if (this.#used + bytes.length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#used + bytes.length))
      grown.set(this.#bytes.subarray(0, this.#used))
      this.#bytes = grown
    }
    this.#bytes.set(bytes, this.#used)
    this.#used += bytes.length
    if (this.#storedLeaves && storedLeaf !== undefined)
      this.#leaves.set(storedLeaf, this.#packed * HASH_LENGTH)
    this.#ends[this.#packed++] = this.#used
    return this.#added(1)
  }

  run(seq: number, run: EntryRun): Promise<void> | undefined {
    this.#checkNext(seq)
    // a tile that does not fit the chunk (chunks under 256 entries: tests) goes in entry by entry
    if (this.#count + run.count > this.#capacity) return entriesOfRun(this, seq, run)
    this.#finishPacked()
    const bytes = run.bytes
    // a worker needs a buffer of its own to take over (new Uint8Array(view) copies; a Buffer's slice would not)
    this.#runs.push(
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes),
    )
    return this.#added(run.count)
  }

  #added(count: number): Promise<void> | undefined {
    this.#expected += count
    this.#count += count
    if (this.#count < this.#capacity) return undefined
    this.#dispatch()
    return this.#inFlight.length >= this.#maxInFlight ? this.#acceptOldest() : undefined
  }

  /** Closes the run packed from single entries into the chunk's runs. */
  #finishPacked(): void {
    const count = this.#packed
    if (count === 0) return
    this.#runs.push(
      packEntryRun(
        this.#ends.subarray(0, count),
        this.#bytes.subarray(0, this.#used),
        this.#storedLeaves ? this.#leaves.subarray(0, count * HASH_LENGTH) : undefined,
      ),
    )
    this.#packed = 0
    this.#used = 0
  }

  async end(): Promise<void> {
    if (this.#count > 0) this.#dispatch()
    while (this.#inFlight.length > 0) await this.#acceptOldest()
  }

  #dispatch(): void {
    this.#finishPacked()
    const start = this.#start
    const count = this.#count
    // chunks go out in order, so one pass over the sorted sizes finds each chunk's cuts
    const cuts: number[] = []
    while (this.#nextCut < this.#cutSizes.length && this.#cutSizes[this.#nextCut]! <= start + count) {
      const size = this.#cutSizes[this.#nextCut++]!
      if (size > start) cuts.push(size - start)
    }
    const result = this.#pool.check({ start, runs: this.#runs, storedLeaves: this.#storedLeaves, cuts })
    // a chunk left behind by an earlier failure must not become an unhandled rejection
    result.catch(() => {})
    this.#inFlight.push({ start, count, cuts, result })
    this.#start = this.#expected
    this.#count = 0
    this.#runs = []
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

/** A source's size per entry, about: to guess from a source's size whether it will need workers. */
const SOURCE_BYTES_PER_ENTRY = 200

/**
 * The worker threads of one verification. They take about 100 ms to start, so they are started
 * as soon as the source's size suggests a ledger large enough to use them (`warm`), while the
 * source is still being opened, or else when the entries begin.
 */
class Workers {
  readonly threads: number
  readonly #parallelFrom: number
  #pool: ChunkPool | undefined

  constructor(options: VerifyOptions) {
    this.threads = Math.min(options.threads ?? availableParallelism(), MAX_THREADS)
    this.#parallelFrom = options.parallelFrom ?? DEFAULT_PARALLEL_FROM
  }

  warm(sourceBytes: number): void {
    if (this.threads > 0 && sourceBytes / SOURCE_BYTES_PER_ENTRY >= this.#parallelFrom) this.pool()
  }

  pool(): ChunkPool {
    this.#pool ??= new ChunkPool(this.threads)
    return this.#pool
  }

  async close(): Promise<void> {
    await this.#pool?.close()
  }
}

type StartAudit = (origin: string, key: Uint8Array, total: number) => Audit

async function run(
  source: VerifyReport['source'],
  body: (start: StartAudit, workers: Workers) => Promise<void>,
  options: VerifyOptions,
): Promise<VerifyReport> {
  let audit: Audit | undefined
  const workers = new Workers(options)
  try {
    await body((origin, key, total) => {
      audit = new Audit(source, origin, key, total, options, workers)
      return audit
    }, workers)
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
    // reasons can quote the source (an unknown entry field's name): never a control character
    const reason = printable(err.message)
    return { ...base, ok: false, problem: seq === undefined ? { reason } : { seq, reason } }
  } finally {
    await workers.close()
  }
}

/** `text` with control, line-separator and bidirectional-override characters written as \\u{…}. */
function printable(text: string): string {
  let shown = ''
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    const hidden =
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x2028 ||
      c === 0x2029 ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    shown += hidden ? `\\u{${c.toString(16)}}` : ch
  }
  return shown
}

/**
 * Verifies a ledger offline: a data directory (the ledger's own `dir`) or an export bundle file.
 * Never writes to the source: a data directory's LevelDB is copied to a temporary directory and
 * the copy is opened (LevelDB writes on open, and the node may hold its lock).
 */
export async function verifyLedger(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const info = await stat(path)
  if (!info.isDirectory()) return verifyInTwoPasses((opts) => verifyBundle(path, opts), options)
  const copy = await mkdtemp(join(tmpdir(), 'pocnet-ledger-verify-'))
  try {
    // one copy for both passes: a second would cost the whole copy again, and on a running node
    // the in-order pass would check another state of the database than the one that failed
    const snapshot: DataDirSnapshot = { copy }
    return await verifyInTwoPasses((opts) => verifyDataDir(path, snapshot, opts), options)
  } finally {
    await rm(copy, { recursive: true, force: true })
  }
}

/**
 * Runs `once` with worker threads, and again in order on one thread when it fails. Workers find
 * that something is wrong, not always which entry comes first (a checkpoint may fail on a chunk
 * whose entries are fine); the second pass names the first bad entry exactly as a one-thread
 * check would. Failures are rare, so the cost is paid only then.
 */
async function verifyInTwoPasses(
  once: (options: VerifyOptions) => Promise<VerifyReport>,
  options: VerifyOptions,
): Promise<VerifyReport> {
  if (options.threads === 0) return once(options)
  const report = await once(options)
  if (report.ok) return report
  const onProgress = options.onProgress
  return once({
    ...options,
    threads: 0,
    ...(onProgress !== undefined && {
      onProgress: (p: VerifyProgress) => onProgress({ ...p, recheck: true }),
    }),
  })
}

/** A data directory's database copied once, and its checkpoint file read once, for both passes. */
interface DataDirSnapshot {
  copy: string
  /** The latest checkpoint file's text, once the copy is made (or the failure to make it). */
  prepared?: Promise<string | undefined>
}

async function verifyDataDir(
  dir: string,
  snapshot: DataDirSnapshot,
  options: VerifyOptions,
): Promise<VerifyReport> {
  return run(
    'data-dir',
    async (start, workers) => {
      snapshot.prepared ??= copyDataDir(dir, snapshot.copy, workers)
      const latestFile = await snapshot.prepared
      const db = openLevel(snapshot.copy, false)
      try {
        await db.open()
      } catch (err) {
        throw new Failure(`the ledger database does not open: ${(err as Error).message}`)
      }
      try {
        await auditDb(db, latestFile, start, options)
      } catch (err) {
        // a damaged table or log: LevelDB's own error becomes the report's problem
        const code = (err as { code?: unknown }).code
        if (typeof code === 'string' && code.startsWith('LEVEL_'))
          throw new Failure(`the ledger database cannot be read: ${(err as Error).message}`)
        throw err
      } finally {
        await db.close()
      }
    },
    options,
  )
}

/** Reads the latest checkpoint file, then copies the database to `copy`; the file's text. */
async function copyDataDir(dir: string, copy: string, workers: Workers): Promise<string | undefined> {
  const source = join(dir, DB_DIR)
  if (!existsSync(source)) throw new Failure(`${dir} holds no ledger database (${DB_DIR}/)`)
  // Read before the database is copied: the node writes this file after the entries it
  // signs, so it never signs more than the copy holds, even while the node runs.
  await regularFileSize(join(dir, LATEST_CHECKPOINT_FILE)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
  const latestFile = await readLatestCheckpointFile(dir)
  await copyDatabase(source, copy, workers)
  return latestFile
}

/** How many times the copy of a database that keeps changing under it is started again. */
const COPY_ATTEMPTS = 10

/**
 * Copies a LevelDB directory, without its lock, as one state of the database, even while the
 * node writes to it. That state is the manifest CURRENT names — the table files it lists and the
 * logs after it — so the manifest is copied first, the tables next and the logs last, and the copy
 * is kept only if CURRENT and the manifest did not change meanwhile. Appends to a log during the
 * copy do no harm: LevelDB drops a torn last record whole when it opens the copy, and each ledger
 * write is one record. A flush or a compaction (the manifest changed) or a file that vanished
 * starts the copy again.
 *
 * Every file is copied — cloned where the file system can (copy-on-write) — and never hard-linked:
 * LevelDB writes files when it opens the copy, and through a link it could overwrite the node's.
 */
async function copyDatabase(source: string, copy: string, workers: Workers): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (await copyDatabaseOnce(source, copy, workers)) return
    } catch (err) {
      if (err instanceof Failure) throw err
      // a file compacted away mid-copy is the database changing; anything else is a real error
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= COPY_ATTEMPTS)
        throw new Failure(`could not copy ${source}: ${(err as Error).message}`)
    }
    if (attempt >= COPY_ATTEMPTS)
      throw new Failure(
        `${source} changed during each of ${COPY_ATTEMPTS} copies; retry, or verify an export bundle (pocnet ledger export)`,
      )
    await rm(copy, { recursive: true, force: true })
    await mkdir(copy, { recursive: true })
  }
}

/**
 * The size of a file of the database, which must be a regular file: through a symbolic link, a
 * FIFO or a device, the copy would read what lies elsewhere on the auditor's machine, wait
 * forever (a FIFO) or never end (/dev/zero). LevelDB itself only makes regular files.
 */
async function regularFileSize(path: string): Promise<number> {
  const info = await lstat(path)
  if (!info.isFile())
    throw new Failure(`${path} is not a regular file (a symbolic link, a FIFO or a device): not copied`)
  return info.size
}

/** One try of copyDatabase: false when the database changed during it. */
async function copyDatabaseOnce(source: string, copy: string, workers: Workers): Promise<boolean> {
  await regularFileSize(join(source, 'CURRENT'))
  const current = await readFile(join(source, 'CURRENT'), 'latin1')
  const manifest = current.trimEnd()
  if (!/^MANIFEST-[0-9]+$/.test(manifest))
    throw new Failure(`${join(source, 'CURRENT')} does not name a LevelDB manifest`)
  const manifestSize = await regularFileSize(join(source, manifest))
  const names = await readdir(source)
  const tables = names.filter((name) => /^[0-9]+\.(ldb|sst)$/.test(name))
  const logs = names.filter((name) => /^[0-9]+\.log$/.test(name))
  // a file compacted away meanwhile counts as empty (the copy below finds it gone and starts again)
  const sizeOf = (name: string) =>
    regularFileSize(join(source, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return 0
      throw err
    })
  const sizes = await Promise.all(tables.map(sizeOf))
  await Promise.all(logs.map(sizeOf))
  workers.warm(sizes.reduce((a, b) => a + b, manifestSize))
  await writeFile(join(copy, 'CURRENT'), current, 'latin1')
  await copyFile(join(source, manifest), join(copy, manifest))
  for (const name of [...tables, ...logs])
    await copyFile(join(source, name), join(copy, name), constants.COPYFILE_FICLONE)
  const currentAfter = await readFile(join(source, 'CURRENT'), 'latin1')
  const manifestSizeAfter = (await stat(join(source, manifest)).catch(() => ({ size: -1 }))).size
  return currentAfter === current && manifestSizeAfter === manifestSize
}

async function auditDb(
  db: LedgerDb,
  latestFile: string | undefined,
  start: StartAudit,
  options: VerifyOptions,
): Promise<void> {
  const metaBytes = await db.get(META_KEY)
  if (metaBytes === undefined) throw new Failure('the database has no ledger format record')
  const meta = decodeMeta(metaBytes)
  const total = Math.max(
    (await afterLastNumberKey(db, PREFIX.tile)) * TILE_WIDTH,
    await afterLastNumberKey(db, PREFIX.entry),
  )
  const audit = start(meta.origin, meta.publicKey, total)
  if (options.identity !== undefined && !bytesEqual(options.identity.signingPublicKey, meta.publicKey))
    throw new Failure("the identity given to check blobs is not this ledger's node key")

  for await (const [key, note] of db.iterator(prefixRange(new Uint8Array([PREFIX.checkpoint])))) {
    const size = numberOfKey(key)
    audit.checkpoint(new TextDecoder().decode(note), `the stored checkpoint at size ${size}`, size)
  }
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

  // full tiles first, then the entries after the last of them (layout.ts)
  const sink = audit.sink(blobStatus, true)
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

async function verifyBundle(path: string, options: VerifyOptions): Promise<VerifyReport> {
  return run(
    'bundle',
    async (start, workers) => {
      workers.warm((await stat(path)).size)
      await auditBundle(path, start)
    },
    options,
  )
}

async function auditBundle(path: string, start: StartAudit): Promise<void> {
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
          const hex = toHex(blob.hash)
          // a second record of a blob would replace the first's status: bytes that do not match
          // their hash, followed by the same hash alone, would pass as present
          if (blobs.has(hex)) throw new Failure(`the bundle lists blob ${hex} more than once`)
          blobs.set(hex, status)
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
          // an entry count that differs names the first entry one of the two counts lacks
          if (trailer.entries !== seq)
            throw new Failure(
              `the bundle trailer counts ${trailer.entries} entries but the bundle holds ${seq}`,
              Math.min(trailer.entries, seq),
            )
          if (trailer.checkpoints !== checkpointCount || trailer.blobs !== blobCount)
            throw new Failure('the bundle trailer counts do not match its checkpoint and blob records')
          trailerSeen = true
          break
        }
      }
    }
  if (!trailerSeen) throw new Failure(`the bundle is truncated: no trailer after ${seq} entries`, seq)
  if (seq !== declaredSize)
    throw new Failure(
      `the bundle header declares ${declaredSize} entries but holds ${seq}`,
      Math.min(declaredSize, seq),
    )
}
