import { parentPort } from 'node:worker_threads'
import { type ChunkInput, checkChunk } from './chunk.ts'

// A verifier worker: checks the chunks it is sent, one at a time, answering in order.
parentPort?.on('message', (input: ChunkInput) => {
  parentPort!.postMessage(checkChunk(input))
})
