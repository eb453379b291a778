import { availableParallelism } from 'node:os'
import { ChunkPool } from '../chunk-pool.ts'
import type { VerifyOptions } from './report.ts'

/** Entries per chunk handed to a worker (a perfect subtree of the tree). */
export const DEFAULT_CHUNK_ENTRIES = 4096
/**
 * Smallest ledger checked with worker threads: they pay ~100 ms to start and a copy per chunk, and
 * on the 2-core machine of docs/performance.md one thread won below 10^6 entries (median of three:
 * 0.17 s against 0.45 s with two workers at 10^4, 0.46 s against 1.09 s at 10^5, 1.22 s against
 * 1.31 s at 3×10^5) and two came level only at 10^6 (5.9 s against 6.1 s). `threads` or
 * `parallelFrom` ask for them on a machine with cores to spare.
 */
export const DEFAULT_PARALLEL_FROM = 1_000_000
const MAX_THREADS = 8
/** Chunks in flight per worker: enough to keep each busy while the source is read. */
export const CHUNKS_IN_FLIGHT_PER_THREAD = 2

/** A source's size per entry, about: to guess from a source's size whether it will need workers. */
const SOURCE_BYTES_PER_ENTRY = 200

/**
 * The worker threads of one verification. They take about 100 ms to start, so they are started
 * as soon as the source's size suggests a ledger large enough to use them (`warm`), while the
 * source is still being opened, or else when the entries begin.
 */
export class Workers {
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
