import { describe, expect, it } from 'vitest'
import { type ChunkInput, checkChunk } from '../src/chunk.ts'
import { encodeEntry } from '../src/entry.ts'
import { encodeEntryRun } from '../src/layout.ts'
import { hashLeaf, hashToLatin1, MerkleFrontier } from '../src/merkle.ts'
import { sampleEvent } from './fixtures/ledger.ts'

const T0 = Date.UTC(2026, 0, 1)

function entryBytes(seq: number, time = T0 + seq * 1000): Uint8Array {
  const blobs = seq % 5 === 0 ? [new Uint8Array(32).fill(seq)] : []
  return encodeEntry({ ...sampleEvent(seq), seq, time, blobs })
}

/** A chunk of one entry run, with stored leaf hashes when `stored` is given. */
function pack(start: number, entries: Uint8Array[], cuts: number[] = [], stored?: Uint8Array[]): ChunkInput {
  const run = encodeEntryRun(
    entries.map((bytes, i) => ({ bytes, leafHash: stored?.[i] })),
    stored !== undefined,
  )
  return { start, runs: [run], storedLeaves: stored !== undefined, cuts }
}

const latin1 = (hashes: Uint8Array[]) => hashes.map(hashToLatin1)

describe('checking a chunk of entries', () => {
  it('hashes the chunk as the tree does, with the frontier at each cut, times and blob references', () => {
    const start = 16
    const entries = Array.from({ length: 16 }, (_, i) => entryBytes(start + i))
    const result = checkChunk(pack(start, entries, [1, 5, 16], entries.map(hashLeaf)))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const expected = new MerkleFrontier()
    const atCuts: Uint8Array[][] = []
    entries.forEach((e, i) => {
      expected.append(hashLeaf(e))
      if ([1, 5, 16].includes(i + 1)) atCuts.push(expected.hashes())
    })
    expect(result.cutFrontiers).toEqual(atCuts.map(latin1))
    expect(result.frontier).toEqual(latin1([expected.root()]))
    expect(result.firstTime).toBe(T0 + 16_000)
    expect(result.lastTime).toBe(T0 + 31_000)
    expect(result.blobRefs.map((r) => r.seq)).toEqual([20, 25, 30])
    expect(result.blobRefs[0]!.hashes).toEqual([new Uint8Array(32).fill(20)])
  })

  it('names the first entry that does not decode, is out of place, goes back in time or differs from its stored leaf', () => {
    const entries = Array.from({ length: 8 }, (_, i) => entryBytes(i))
    const broken = entries.slice()
    broken[3] = entries[3]!.slice(0, -1)
    expect(checkChunk(pack(0, broken))).toMatchObject({ ok: false, seq: 3 })

    expect(checkChunk(pack(8, entries))).toMatchObject({ ok: false, seq: 8, reason: /sequence number 0/ })

    const backwards = entries.slice()
    backwards[5] = entryBytes(5, T0)
    expect(checkChunk(pack(0, backwards))).toMatchObject({ ok: false, seq: 5, reason: /time/ })

    const leaves = entries.map(hashLeaf)
    leaves[6] = hashLeaf(entries[7]!)
    expect(checkChunk(pack(0, entries, [], leaves))).toMatchObject({
      ok: false,
      seq: 6,
      reason: /stored leaf/,
    })
  })

  it('checks the runs of a chunk as one sequence, and refuses a malformed run', () => {
    const entries = Array.from({ length: 12 }, (_, i) => entryBytes(i))
    const leaves = entries.map(hashLeaf)
    const whole = checkChunk(pack(0, entries, [7], leaves))
    const runs = [0, 5, 12]
      .slice(0, -1)
      .map((from, k) =>
        encodeEntryRun(
          entries.slice(from, [5, 12][k]).map((bytes, i) => ({ bytes, leafHash: leaves[from + i] })),
        ),
      )
    expect(checkChunk({ start: 0, runs, storedLeaves: true, cuts: [7] })).toEqual(whole)

    const cut = runs[1]!.slice(0, -3)
    expect(checkChunk({ start: 0, runs: [runs[0]!, cut], storedLeaves: true, cuts: [] })).toMatchObject({
      ok: false,
      seq: 5,
      reason: /run of entries/,
    })
    // a run read as if it had no leaf hashes does not parse as one
    expect(checkChunk({ start: 0, runs: [runs[0]!], storedLeaves: false, cuts: [] })).toMatchObject({
      ok: false,
      seq: 0,
    })
  })
})
