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

  check(input: ChunkInput): Promise<ChunkResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    const at = this.#next
    this.#next = (this.#next + 1) % this.#workers.length
    return new Promise((resolve, reject) => {
      this.#queues[at]!.push({ resolve, reject })
      const transfer: ArrayBuffer[] = [
        input.leaves.buffer as ArrayBuffer,
        input.offsets.buffer as ArrayBuffer,
      ]
      if (input.storedLeaves !== undefined) transfer.push(input.storedLeaves.buffer as ArrayBuffer)
      this.#workers[at]!.postMessage(input, transfer)
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
