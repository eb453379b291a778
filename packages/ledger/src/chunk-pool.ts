import { Worker } from 'node:worker_threads'
import type { ChunkInput, ChunkResult } from './chunk.ts'

interface Pending {
  resolve: (result: ChunkResult) => void
  reject: (err: Error) => void
}

/** Worker threads running checkChunk; chunks go round-robin and each worker answers in order. */
export class ChunkPool {
  readonly #workers: Worker[] = []
  readonly #queues: Pending[][] = []
  #next = 0
  #failure: Error | undefined

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./chunk-worker.ts', import.meta.url))
      const queue: Pending[] = []
      worker.on('message', (result: ChunkResult) => queue.shift()?.resolve(result))
      worker.on('error', (err) => this.#fail(err))
      worker.on('exit', (code) => {
        if (queue.length > 0) this.#fail(new Error(`a verifier worker exited with code ${code}`))
      })
      this.#workers.push(worker)
      this.#queues.push(queue)
    }
  }

  /**
   * Queues a chunk. Each run's whole ArrayBuffer is transferred, so each run must own its
   * buffer (structured cloning a view copies all of its buffer, and transferring detaches it).
   */
  check(input: ChunkInput): Promise<ChunkResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    for (const run of input.runs)
      if (run.byteOffset !== 0 || run.byteLength !== run.buffer.byteLength)
        return Promise.reject(new RangeError('a chunk run must own its whole buffer'))
    const at = this.#next
    this.#next = (this.#next + 1) % this.#workers.length
    return new Promise((resolve, reject) => {
      this.#queues[at]!.push({ resolve, reject })
      this.#workers[at]!.postMessage(
        input,
        input.runs.map((run) => run.buffer as ArrayBuffer),
      )
    })
  }

  #fail(err: Error): void {
    this.#failure ??= err
    for (const queue of this.#queues) for (const pending of queue.splice(0)) pending.reject(err)
  }

  /** Stops the workers; anything still pending, and any later check, fails. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()))
    this.#fail(new Error('the verifier worker pool is closed'))
  }
}
