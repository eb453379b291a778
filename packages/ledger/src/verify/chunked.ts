import type { ChunkResult } from '../chunk.ts'
import type { ChunkPool } from '../chunk-pool.ts'
import { HASH_LENGTH, MAX_ENTRY_BYTES } from '../constants.ts'
import { type EntryRun, packEntryRun } from '../layout.ts'
import type { Audit } from './audit.ts'
import { Failure } from './report.ts'
import { type BlobLookup, type EntrySink, entriesOfRun } from './source.ts'
import { CHUNKS_IN_FLIGHT_PER_THREAD } from './workers.ts'

/**
 * Gathers entries into chunks of `capacity` (the chunk at index k holds entries k·capacity …),
 * has workers decode and hash them, and hands the results back to the audit in order. Stored
 * tiles go to the workers as read; single entries are packed into runs of the same layout.
 */
export class ChunkedEntries implements EntrySink {
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
