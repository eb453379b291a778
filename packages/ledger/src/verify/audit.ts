import { bytesEqual, toHex } from '@pocnet/crypto'
import { checkOrigin, parseCheckpoint, type SignedCheckpoint, verifyCheckpoint } from '../checkpoint.ts'
import { type ChunkResult, leafHashLatin1 } from '../chunk.ts'
import { MAX_ENTRY_BYTES, PROGRESS_EVERY } from '../constants.ts'
import { type EntryFacts, entryFacts } from '../entry-scan.ts'
import { EMPTY_ROOT, foldRangeLatin1, hashToLatin1, Latin1Frontier, latin1ToHash } from '../merkle.ts'
import { ChunkedEntries } from './chunked.ts'
import type { KeySequence } from './key-sequence.ts'
import { Failure, type VerifyOptions, type VerifyProgress, type VerifyReport } from './report.ts'
import { type BlobLookup, type BlobStatus, type EntrySink, entriesOfRun } from './source.ts'
import { WitnessCheck, WitnessFailure } from './witnesses.ts'
import { DEFAULT_CHUNK_ENTRIES, DEFAULT_PARALLEL_FROM, type Workers } from './workers.ts'

/** One pass over a ledger's content, in the order every source can supply it. */
export class Audit {
  readonly report: VerifyReport
  readonly #keys: KeySequence
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
  readonly #witnesses: WitnessCheck

  constructor(
    source: VerifyReport['source'],
    origin: string,
    keys: KeySequence,
    total: number,
    options: VerifyOptions,
    workers: Workers,
  ) {
    if (options.publicKey !== undefined && !bytesEqual(options.publicKey, keys.current))
      throw new Failure(
        `the ledger's key ${toHex(keys.current)} is not the expected key ${toHex(options.publicKey)}`,
      )
    this.#keys = keys
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
    const required = options.witnesses?.min ?? 0
    if (!Number.isSafeInteger(required) || required < 0)
      throw new RangeError('witnesses.min must be a non-negative integer')
    this.#witnesses = new WitnessCheck(
      origin,
      keys.epochs.map((e) => e.publicKey),
      options.witnesses?.keys ?? [],
    )
    this.report = {
      ok: false,
      source,
      origin,
      publicKey: keys.current,
      ...(keys.epochs.length > 1 && { earlierKeys: keys.epochs.slice(0, -1).map((e) => e.publicKey) }),
      entries: 0,
      checkpoints: 0,
      threads: 0,
      blobs: { referenced: 0, hashChecked: 0, storedChecked: 0, presenceOnly: 0 },
      cosignatures: this.#witnesses.listed,
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
    const fresh = cp === undefined
    if (cp === undefined) {
      try {
        cp = verifyCheckpoint(note, this.#keys.keyFor(parseCheckpoint(note).checkpoint.size))
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
      throw new Failure(
        `two validly signed checkpoints for size ${cp.size} have different roots (a fork): ${where} and another`,
      )
    if (same === undefined) this.#bySize.set(cp.size, cp)
    // a checkpoint is counted once however many notes carry it (the checkpoint file repeats the
    // latest stored one): all of one size sign the same root, checked above
    this.report.checkpoints = this.#bySize.size
    if (fresh) this.#witnesses.note(cp)
    if (cp.size > this.#maxCheckpointSize) {
      this.#maxCheckpointSize = cp.size
      this.report.latestCheckpoint = cp
    }
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
    for (const ref of result.blobRefs) await this.#checkBlobs(ref.seq, ref.hashes, ref.stored, blobStatus)
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
    blobStatus: BlobLookup,
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
    return this.#checkBlobs(seq, entry.blobs, entry.stored, blobStatus).then(() =>
      this.#accept(entry.time, leaf),
    )
  }

  async #checkBlobs(
    seq: number,
    hashes: Uint8Array[],
    stored: Uint8Array[] | undefined,
    blobStatus: BlobLookup,
  ): Promise<void> {
    for (const [i, hash] of hashes.entries()) {
      this.report.blobs.referenced++
      const status: BlobStatus = await blobStatus(hash, stored?.[i])
      if (status === 'missing')
        throw new Failure(`entry ${seq} refers to blob ${toHex(hash)}, which is missing`, seq)
      if (status === 'altered')
        throw new Failure(`entry ${seq} refers to blob ${toHex(hash)}, whose stored bytes were altered`, seq)
      if (status === 'ok') this.report.blobs.hashChecked++
      else if (status === 'stored-ok') this.report.blobs.storedChecked++
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
    const signedUpTo = Math.max(this.#maxCheckpointSize, 0)
    if (size > signedUpTo) {
      this.report.unsignedFrom = signedUpTo
      if (this.#options.allowUnsignedTail !== true)
        throw new Failure(
          this.#maxCheckpointSize < 0
            ? `no signed checkpoint covers any of the ${size} entries: nothing signed vouches for them`
            : `entries ${signedUpTo}..${size - 1} come after the latest signed checkpoint (size ${signedUpTo}): nothing signed vouches for them`,
          signedUpTo,
        )
    }
    this.#progress(size)
    this.report.root = latin1ToHash(
      chunked ? foldRangeLatin1([...this.#chunkRoots!.hashes(), ...this.#tail]) : this.#frontier.root(),
    )
    const required = this.#options.witnesses
    if (required !== undefined && required.min > 0) {
      try {
        this.report.witnesses = this.#witnesses.require(required, this.report.latestCheckpoint)
      } catch (err) {
        if (err instanceof WitnessFailure) this.report.witnesses = err.summary
        throw err
      }
    }
    this.report.ok = true
    return this.report
  }
}
