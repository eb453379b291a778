import type { DialTarget, PeerId } from '@libp2p/interface'
import { chunkCount } from '@pocnet/cases'
import type { RequestStreams } from '@pocnet/protocol/reqresp'
import { CHUNK_TAG_BYTES, digestChunk } from './chunk-seal.ts'
import type { InOrderHash } from './in-order-hash.ts'
import type { ReceivedFile } from './received-file.ts'
import type { AttachmentRecord } from './store.ts'
import { decodeChunkResponse, encodeChunkRequest } from './wire.ts'

/**
 * Chunks requested at once per attachment, one per stream. A chunk's round trip is bound by latency
 * (its frame crosses several flow-control windows): 8 in flight doubled the throughput of 4 here,
 * 16 gave no more. Bounds what a transfer holds to about 8 sealed chunks and the frames being read:
 * about 24 MiB with 1 MiB chunks (docs/cases.md §9).
 */
export const PULL_WINDOW = 8

export interface PullContext {
  /** Where the checked chunks are written. */
  file: ReceivedFile
  streams: RequestStreams
  /** Where the sender is: its PeerId and how to dial it. */
  targetOf(country: string): Promise<{ peer: PeerId; target: DialTarget }>
  signal: AbortSignal
  /** A chunk the sender sent that is not the chunk asked for: counted and logged (throttled). */
  onBadChunk(record: AttachmentRecord, index: number, why: string): void
  /** The whole file's hash, fed in order with the chunks as they are checked or stored. */
  whole: InOrderHash
}

/** A sender's answer that is an error code, not a chunk: retried later, the transfer goes on. */
export class ChunkUnavailable extends Error {}

/** Plain length of chunk `index` of `record` (the last one is shorter). */
export function plainLength(record: Pick<AttachmentRecord, 'size' | 'chunkSize'>, index: number): number {
  return Math.min(record.chunkSize, record.size - index * record.chunkSize)
}

/**
 * Fetches every chunk of `record` not in `present`, PULL_WINDOW at a time, each checked (tag, then
 * the chunk's SHA-256 and length) before it is stored; `present` grows as they are. A failure ends
 * the call: the caller waits and calls again, from the first missing chunk.
 */
export async function pullMissing(
  ctx: PullContext,
  record: AttachmentRecord,
  key: Buffer,
  present: Set<number>,
): Promise<void> {
  const count = chunkCount(record.size, record.chunkSize)
  const missing: number[] = []
  for (let i = 0; i < count; i++) if (!present.has(i)) missing.push(i)
  if (missing.length === 0) return
  const { peer, target } = await ctx.targetOf(record.counterpart!)
  let next = 0
  // the first failure stops the other workers: the call ends only when none is left running
  const stop = new AbortController()
  const signal = AbortSignal.any([ctx.signal, stop.signal])
  const work = async (): Promise<void> => {
    while (next < missing.length && !signal.aborted) {
      const index = missing[next++]!
      const frame = await ctx.streams.request(peer, target, encodeChunkRequest({ id: record.id, index }), {
        signal,
      })
      const response = decodeChunkResponse(frame)
      if (!('chunk' in response))
        throw new ChunkUnavailable(
          `${record.counterpart} answered ${'error' in response ? response.error : 'ok'}`,
        )
      const fed = ctx.whole.trial(index)
      const digest = digestChunk(key, record.id, index, count, response.chunk, fed)
      const why =
        digest === undefined
          ? 'does not open under the key (tag)'
          : digest.length !== plainLength(record, index)
            ? `is ${digest.length} bytes, not ${plainLength(record, index)}`
            : digest.sha256 !== record.chunks[index]
              ? 'SHA-256 differs from the message'
              : undefined
      if (why !== undefined) {
        ctx.onBadChunk(record, index, why)
        throw new ChunkUnavailable(`chunk ${index} ${why}`)
      }
      if (fed !== undefined) ctx.whole.checked(index, fed)
      await ctx.file.write(index, response.chunk)
      present.add(index)
      ctx.whole.stored(index, response.chunk)
    }
  }
  const worker = () =>
    work().catch((err: unknown) => {
      stop.abort()
      throw err
    })
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(PULL_WINDOW, missing.length) }, worker),
  )
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}

/**
 * The chunks of a transfer under way that lie whole in its received file: each opens under `key`
 * where it lies, with its recorded SHA-256. One never written (zeros), torn by a crash or garbled by
 * a power loss is missing, to be fetched again. One chunk in memory at a time.
 */
export async function checkPresent(
  file: ReceivedFile,
  record: AttachmentRecord,
  key: Buffer,
): Promise<Set<number>> {
  const count = chunkCount(record.size, record.chunkSize)
  const present = new Set<number>()
  for (let i = 0; i < count; i++) {
    const sealed = await file.read(i)
    // a chunk never written ends in a zero tag: not worth opening (a real zero tag is fetched again)
    if (sealed.subarray(sealed.length - CHUNK_TAG_BYTES).every((byte) => byte === 0)) continue
    if (digestChunk(key, record.id, i, count, sealed)?.sha256 === record.chunks[i]) present.add(i)
  }
  return present
}
