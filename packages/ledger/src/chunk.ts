import { hash } from 'node:crypto'
import { bytesEqual } from '@pocnet/crypto'
import { HASH_LENGTH, MAX_ENTRY_BYTES } from './constants.ts'
import { decodeEntry } from './entry.ts'
import { MerkleFrontier } from './merkle.ts'

/*
 * The per-entry half of verification, on a run of consecutive entries, so that worker threads
 * can do it side by side. A chunk starts at a multiple of its (power-of-two) capacity, so a full
 * chunk is one perfect subtree of the RFC 9162 tree and the caller can fold chunk roots as if
 * they were leaves one level up.
 */

/** A run of entries as the verifier hands it to a worker. Buffers are transferred, not copied. */
export interface ChunkInput {
  /** Sequence number of the first entry. */
  start: number
  /** Each entry as the leaf hash input, 0x00 ‖ entry bytes, back to back. */
  leaves: Uint8Array
  /** count + 1 offsets into `leaves`: leaf i is leaves[offsets[i], offsets[i + 1]). */
  offsets: Uint32Array
  /** count × 32 bytes: the leaf hashes the source stored beside the entries, when it stores them. */
  storedLeaves?: Uint8Array
  /** Local sizes (1..count) at which the caller needs the chunk's frontier (checkpoint sizes). */
  cuts: number[]
}

export type ChunkResult =
  | {
      ok: true
      firstTime: number
      lastTime: number
      /** Entries that reference blobs, for the caller to look up. */
      blobRefs: Array<{ seq: number; hashes: Uint8Array[] }>
      /** The frontier at each of `cuts`, in the same order. */
      cutFrontiers: Uint8Array[][]
      /** The frontier of the whole chunk: one hash (its root) when the chunk is a perfect subtree. */
      frontier: Uint8Array[]
    }
  | { ok: false; seq: number; reason: string }

/** Checks a chunk's entries (size, decoding, sequence, time order, stored leaf) and hashes its tree. */
export function checkChunk(input: ChunkInput): ChunkResult {
  const { leaves, offsets, storedLeaves, start } = input
  const count = offsets.length - 1
  const frontier = new MerkleFrontier()
  const blobRefs: Array<{ seq: number; hashes: Uint8Array[] }> = []
  const cutFrontiers: Uint8Array[][] = []
  let cut = 0
  let firstTime = 0
  let lastTime = 0
  for (let i = 0; i < count; i++) {
    const seq = start + i
    const leafInput = leaves.subarray(offsets[i]!, offsets[i + 1]!)
    if (leafInput.length - 1 > MAX_ENTRY_BYTES) return { ok: false, seq, reason: 'over the size limit' }
    let entry: ReturnType<typeof decodeEntry>
    try {
      entry = decodeEntry(leafInput.subarray(1))
    } catch (err) {
      return { ok: false, seq, reason: (err as Error).message }
    }
    if (entry.seq !== seq) return { ok: false, seq, reason: `carries sequence number ${entry.seq}` }
    if (i === 0) firstTime = entry.time
    else if (entry.time < lastTime) return { ok: false, seq, reason: 'time goes backwards' }
    lastTime = entry.time
    const digest = hash('sha256', leafInput, 'buffer')
    const leaf = new Uint8Array(digest.buffer, digest.byteOffset, HASH_LENGTH)
    if (
      storedLeaves !== undefined &&
      !bytesEqual(storedLeaves.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH), leaf)
    )
      return { ok: false, seq, reason: 'does not match its stored leaf hash' }
    if (entry.blobs.length > 0) blobRefs.push({ seq, hashes: entry.blobs })
    frontier.append(leaf)
    while (cut < input.cuts.length && input.cuts[cut] === i + 1) {
      cutFrontiers.push(frontier.hashes())
      cut++
    }
  }
  return { ok: true, firstTime, lastTime, blobRefs, cutFrontiers, frontier: frontier.hashes() }
}
