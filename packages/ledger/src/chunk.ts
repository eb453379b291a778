import { HASH_LENGTH, MAX_ENTRY_BYTES } from './constants.ts'
import { type EntryFacts, entryFacts, scanEntry } from './entry-scan.ts'
import { parseEntryRun } from './layout.ts'
import { Latin1Frontier, sha256Latin1 } from './merkle.ts'

/*
 * The per-entry half of verification, on a run of consecutive entries, so that worker threads
 * can do it side by side. A chunk starts at a multiple of its (power-of-two) capacity, so a full
 * chunk is one perfect subtree of the RFC 9162 tree and the caller can fold chunk roots as if
 * they were leaves one level up. Hashes travel as latin1 strings (merkle.ts says why).
 */

/** A run of entries as the verifier hands it to a worker. */
export interface ChunkInput {
  /** Sequence number of the first entry. */
  start: number
  /** Entry runs (layout.ts), in order: a data directory's tiles as stored, or runs the verifier packed. */
  runs: Uint8Array[]
  /** Whether the runs carry the leaf hashes the source stored beside the entries. */
  storedLeaves: boolean
  /** Local sizes (1..count) at which the caller needs the chunk's frontier (checkpoint sizes). */
  cuts: number[]
}

/** An entry's blob references: their addresses and, when it commits to them, their stored-bytes hashes. */
export interface BlobRef {
  seq: number
  hashes: Uint8Array[]
  stored?: Uint8Array[]
}

export type ChunkResult =
  | {
      ok: true
      firstTime: number
      lastTime: number
      /** Entries that reference blobs, for the caller to look up. */
      blobRefs: BlobRef[]
      /** The frontier at each of `cuts`, in the same order. */
      cutFrontiers: string[][]
      /** The frontier of the whole chunk: one hash (its root) when the chunk is a perfect subtree. */
      frontier: string[]
    }
  | { ok: false; seq: number; reason: string }

// 0x00 ‖ entry is hashed from one scratch buffer, through a view per length: no allocation per entry
const leafScratch = Buffer.alloc(1 + MAX_ENTRY_BYTES)
const leafViews: Buffer[] = []

/** The leaf hash SHA-256(0x00 ‖ entry) as a latin1 string. */
export function leafHashLatin1(entry: Uint8Array): string {
  leafScratch.set(entry, 1)
  return hashLeafScratch(entry.length + 1)
}

/** leafHashLatin1 of source[start, end), copied without making a view of it. */
function leafHashLatin1Of(source: Buffer, start: number, end: number): string {
  source.copy(leafScratch, 1, start, end)
  return hashLeafScratch(end - start + 1)
}

function hashLeafScratch(length: number): string {
  let view = leafViews[length]
  if (view === undefined) {
    view = leafScratch.subarray(0, length)
    leafViews[length] = view
  }
  return sha256Latin1(view)
}

/**
 * The first of a run's first `count` entries whose computed leaf hash (`leaves`, latin1) differs
 * from the one stored at `leavesAt`, or -1 (also when the run stores none).
 */
function firstLeafMismatch(source: Buffer, leavesAt: number, leaves: string[], count: number): number {
  if (leavesAt < 0 || count === 0) return -1
  const stored = source.toString('latin1', leavesAt, leavesAt + count * HASH_LENGTH)
  if (leaves.length === count && leaves.join('') === stored) return -1
  for (let i = 0; i < count; i++) if (stored.substr(i * HASH_LENGTH, HASH_LENGTH) !== leaves[i]) return i
  return -1
}

/** Checks a chunk's entries (size, decoding, sequence, time order, stored leaf) and hashes its tree. */
export function checkChunk(input: ChunkInput): ChunkResult {
  const frontier = new Latin1Frontier()
  const blobRefs: BlobRef[] = []
  const cutFrontiers: string[][] = []
  let cut = 0
  let firstTime = 0
  let lastTime = 0
  let seq = input.start
  for (const bytes of input.runs) {
    const run = parseEntryRun(bytes, input.storedLeaves)
    if (typeof run === 'string') return { ok: false, seq, reason: `begins a run of entries that ${run}` }
    const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const first = seq
    // stored leaf hashes are compared a run at a time, in one string comparison
    const leaves: string[] = []
    const failure = (i: number, reason: string): ChunkResult => {
      const bad = firstLeafMismatch(source, run.leavesAt, leaves, i)
      return bad < 0
        ? { ok: false, seq: first + i, reason }
        : { ok: false, seq: first + bad, reason: 'does not match its stored leaf hash' }
    }
    for (let i = 0; i < run.count; i++, seq++) {
      const start = run.bounds[i]!
      const end = run.bounds[i + 1]!
      // the common entry is checked in place; anything else gets the full decoder and its message
      let entry: EntryFacts | undefined = scanEntry(bytes, start, end)
      if (entry === undefined)
        try {
          entry = entryFacts(bytes.subarray(start, end))
        } catch (err) {
          return failure(i, (err as Error).message)
        }
      if (entry.seq !== seq) return failure(i, `carries sequence number ${entry.seq}`)
      if (seq === input.start) firstTime = entry.time
      else if (entry.time < lastTime) return failure(i, 'time goes backwards')
      lastTime = entry.time
      const leaf = leafHashLatin1Of(source, start, end)
      if (run.leavesAt >= 0) leaves.push(leaf)
      if (entry.blobs.length > 0)
        blobRefs.push(
          entry.stored === undefined
            ? { seq, hashes: entry.blobs }
            : { seq, hashes: entry.blobs, stored: entry.stored },
        )
      frontier.append(leaf)
      while (cut < input.cuts.length && input.cuts[cut] === frontier.size) {
        cutFrontiers.push(frontier.hashes())
        cut++
      }
    }
    const bad = firstLeafMismatch(source, run.leavesAt, leaves, run.count)
    if (bad >= 0) return { ok: false, seq: first + bad, reason: 'does not match its stored leaf hash' }
  }
  return { ok: true, firstTime, lastTime, blobRefs, cutFrontiers, frontier: frontier.hashes() }
}
