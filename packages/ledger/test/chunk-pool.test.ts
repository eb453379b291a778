import { describe, expect, it } from 'vitest'
import type { ChunkInput } from '../src/chunk.ts'
import { ChunkPool } from '../src/chunk-pool.ts'
import { encodeEntry } from '../src/entry.ts'
import { encodeEntryRun } from '../src/layout.ts'
import { hashLeaf, hashToLatin1 } from '../src/merkle.ts'
import { sampleEvent } from './fixtures/ledger.ts'

function chunk(start: number, count: number): ChunkInput {
  const entries = Array.from({ length: count }, (_, i) =>
    encodeEntry({ ...sampleEvent(start + i), seq: start + i, time: 1000 + start + i, blobs: [] }),
  )
  return {
    start,
    runs: [
      encodeEntryRun(
        entries.map((bytes) => ({ bytes })),
        false,
      ),
    ],
    storedLeaves: false,
    cuts: [],
  }
}

describe('the verifier worker pool', () => {
  it('answers each chunk with its own result, whichever worker took it', async () => {
    const pool = new ChunkPool(2)
    try {
      const results = await Promise.all([0, 8, 16, 24].map((start) => pool.check(chunk(start, 8))))
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true])
      expect(results.map((r) => (r.ok ? r.firstTime : -1))).toEqual([1000, 1008, 1016, 1024])
      // a one-entry chunk's root is its leaf hash
      const single = chunk(3, 1)
      const expected = hashLeaf(encodeEntry({ ...sampleEvent(3), seq: 3, time: 1003, blobs: [] }))
      const result = await pool.check(single)
      expect(result.ok && result.frontier).toEqual([hashToLatin1(expected)])
    } finally {
      await pool.close()
    }
  })

  it('fails what is pending when its workers go away, instead of leaving the verifier waiting', async () => {
    const pool = new ChunkPool(1)
    const pending = pool.check(chunk(0, 4096))
    await pool.close()
    await expect(pending).rejects.toThrow(/verifier worker exited|pool is closed/)
    await expect(pool.check(chunk(0, 8))).rejects.toThrow()
  })

  it('refuses a run that does not own its buffer, which it could not hand over whole', async () => {
    const pool = new ChunkPool(1)
    try {
      const input = chunk(0, 8)
      const shared = new Uint8Array(input.runs[0]!.length + 8)
      shared.set(input.runs[0]!, 8)
      await expect(pool.check({ ...input, runs: [shared.subarray(8)] })).rejects.toThrow(
        /own its whole buffer/,
      )
    } finally {
      await pool.close()
    }
  })

  it('refuses work once closed, even with nothing pending', async () => {
    const pool = new ChunkPool(1)
    await pool.close()
    await expect(pool.check(chunk(0, 8))).rejects.toThrow(/pool is closed/)
  })
})
