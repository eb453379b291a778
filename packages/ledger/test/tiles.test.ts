import { join } from 'node:path'
import { decode, encode } from '@pocnet/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LedgerEntry } from '../src/entry.ts'
import { LedgerStateError } from '../src/errors.ts'
import { entryKey, entryValue, META_KEY, PREFIX, prefixRange, TILE_WIDTH, tileKey } from '../src/layout.ts'
import { hashLeaf, verifyConsistency, verifyInclusion } from '../src/merkle.ts'
import { verifyLedger } from '../src/verify.ts'
import { NodeIdentity, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'
import { type RawDb, readStored, withRawDb as withRawDbOf } from './fixtures/stored.ts'

let dir: { path: string; cleanup: () => Promise<void> }
let identity: NodeIdentity

beforeEach(async () => {
  dir = await tempDir()
  identity = NodeIdentity.generate()
})
afterEach(async () => {
  await dir.cleanup()
})

/** withRawDb on this test's ledger. */
const withRawDb = <T>(use: (db: RawDb) => Promise<T>): Promise<T> => withRawDbOf(dir.path, use)

async function countRecords(db: RawDb, prefix: number): Promise<number> {
  let n = 0
  for await (const _ of db.keys(prefixRange(new Uint8Array([prefix])))) n++
  return n
}

/** Appends `total` entries in the awkward sizes a node produces: singles and batches across tile edges. */
async function fill(
  ledger: Awaited<ReturnType<typeof openTestLedger>>,
  total: number,
): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = []
  const sizes = [1, 3, 255, 1, 300, 17, 600]
  for (let k = 0; out.length < total; k++) {
    const n = Math.min(sizes[k % sizes.length]!, total - out.length)
    const base = out.length
    out.push(...(await ledger.appendBatch(Array.from({ length: n }, (_, i) => sampleEvent(base + i)))))
  }
  return out
}

describe('full tiles', () => {
  it('stores every full tile as one record and reads, proves and lists entries across tile edges', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    const entries = await fill(ledger, 5 * TILE_WIDTH + 77)
    for (const seq of [0, 255, 256, 700, 5 * TILE_WIDTH - 1, 5 * TILE_WIDTH, entries.length - 1])
      expect(await ledger.get(seq)).toEqual(entries[seq])
    const listed = []
    for await (const e of ledger.entryBytes(250, 5 * TILE_WIDTH + 3)) listed.push(e.seq)
    expect(listed).toEqual(Array.from({ length: 5 * TILE_WIDTH + 3 - 250 }, (_, i) => 250 + i))

    const size = ledger.size
    const root = await ledger.root()
    for (const seq of [3, 256, 1000, size - 1]) {
      const leaf = hashLeaf(await ledger.getBytes(seq))
      expect(verifyInclusion(leaf, seq, size, await ledger.inclusionProof(seq, size), root)).toBe(true)
    }
    for (const first of [1, 255, 256, 513, 5 * TILE_WIDTH + 1])
      expect(
        verifyConsistency(
          first,
          size,
          await ledger.consistencyProof(first, size),
          await ledger.root(first),
          root,
        ),
      ).toBe(true)
    const byCase = await ledger.query({ caseId: 'case-3' })
    expect(byCase.map((e) => e.seq)).toEqual(entries.filter((e) => e.caseId === 'case-3').map((e) => e.seq))
    const byTime = await ledger.query({ from: entries[300]!.time, to: entries[900]!.time })
    expect(byTime[0]!.seq).toBe(entries.findIndex((e) => e.time >= entries[300]!.time))
    // an export carries the tiled entries as plain entry records, in order
    const bundle = join(dir.path, 'export.pnlb')
    await ledger.export(bundle)
    const fromBundle = await verifyLedger(bundle, { threads: 0 })
    expect(fromBundle.entries).toBe(size)
    expect(fromBundle.root).toEqual(root)
    await ledger.close()

    await withRawDb(async (db) => {
      expect(await countRecords(db, PREFIX.tile)).toBe(5)
      expect(await countRecords(db, PREFIX.entry)).toBe(77)
    })
  })

  it('reopens where it was and goes on filling the open tile', async () => {
    const first = await openTestLedger(dir.path, identity)
    await fill(first, TILE_WIDTH + 200)
    const root = await first.root()
    const lastTime = (await first.get(first.size - 1)).time
    await first.close()

    const again = await openTestLedger(dir.path, identity, { clock: () => 0 })
    expect(again.size).toBe(TILE_WIDTH + 200)
    expect(await again.root()).toEqual(root)
    const [next] = await again.appendBatch(Array.from({ length: 100 }, (_, i) => sampleEvent(i)))
    // time never goes back, even with a clock that does: the last time came back from storage
    expect(next!.time).toBe(lastTime)
    await again.close()
    await withRawDb(async (db) => {
      expect(await countRecords(db, PREFIX.tile)).toBe(2)
      expect(await countRecords(db, PREFIX.entry)).toBe(TILE_WIDTH + 300 - 2 * TILE_WIDTH)
    })
    expect((await verifyLedger(dir.path, { identity })).ok).toBe(true)
  })

  it('hands out copies: changing bytes a reader got changes nothing stored', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await fill(ledger, TILE_WIDTH + 10)
    for (const seq of [5, TILE_WIDTH + 5]) {
      const bytes = await ledger.getBytes(seq)
      const original = bytes.slice()
      bytes.fill(0)
      for await (const e of ledger.entryBytes(seq, seq + 1)) e.bytes.fill(0)
      expect(await ledger.getBytes(seq)).toEqual(original)
    }
    // the open tile's entries go into their tile record as they were appended
    await fill(ledger, TILE_WIDTH - 10)
    await ledger.close()
    expect((await verifyLedger(dir.path, { identity })).ok).toBe(true)
  })

  it('refuses to open when an entry of the open tile is gone', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await fill(ledger, TILE_WIDTH + 10)
    await ledger.close()
    await withRawDb((db) => db.del(entryKey(TILE_WIDTH + 4)))
    await expect(openTestLedger(dir.path, identity)).rejects.toThrow(LedgerStateError)
    await expect(openTestLedger(dir.path, identity)).rejects.toThrow(/entry 260 is missing/)
  })
})

describe('upgrading a version 1 database', () => {
  /** Rewrites the database as version 1 stored it: every entry alone, no tiles. */
  async function downgrade(db: RawDb, tiles: number[]): Promise<void> {
    for (const tile of tiles) {
      for (let i = 0; i < TILE_WIDTH; i++) {
        const seq = tile * TILE_WIDTH + i
        const entry = await readStored(db, seq)
        await db.put(entryKey(seq), entryValue(entry.leafHash, entry.bytes))
      }
      await db.del(tileKey(tile))
    }
    const meta = decode((await db.get(META_KEY))!) as { [key: string]: unknown }
    await db.put(META_KEY, encode({ ...meta, version: 1 } as Parameters<typeof encode>[0]))
  }

  it('moves full tiles of single entries into tile records on open, keeping every entry and the root', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    const entries = await fill(ledger, 3 * TILE_WIDTH + 5)
    await ledger.checkpoint()
    const root = await ledger.root()
    await ledger.close()
    await withRawDb(async (db) => {
      await downgrade(db, [0, 1, 2])
      expect(await countRecords(db, PREFIX.tile)).toBe(0)
    })
    // a version 1 database verifies as it is
    expect((await verifyLedger(dir.path, { identity })).ok).toBe(true)

    const progress: Array<{ tiled: number; total: number }> = []
    const upgraded = await openTestLedger(dir.path, identity, { onUpgrade: (p) => progress.push(p) })
    expect(progress).toEqual([
      { tiled: 0, total: 3 * TILE_WIDTH },
      { tiled: 3 * TILE_WIDTH, total: 3 * TILE_WIDTH },
    ])
    expect(await upgraded.root()).toEqual(root)
    for (const seq of [0, 300, entries.length - 1]) expect(await upgraded.get(seq)).toEqual(entries[seq])
    await upgraded.close()
    await withRawDb(async (db) => {
      expect(await countRecords(db, PREFIX.tile)).toBe(3)
      expect(await countRecords(db, PREFIX.entry)).toBe(5)
      expect((decode((await db.get(META_KEY))!) as { version: number }).version).toBe(2)
    })
    expect((await verifyLedger(dir.path, { identity })).ok).toBe(true)
  })

  it('refuses a database of a format version it does not know, in the node and in the verifier', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await fill(ledger, 10)
    await ledger.close()
    await withRawDb(async (db) => {
      const meta = decode((await db.get(META_KEY))!) as { [key: string]: unknown }
      await db.put(META_KEY, encode({ ...meta, version: 3 } as Parameters<typeof encode>[0]))
    })
    await expect(openTestLedger(dir.path, identity)).rejects.toThrow(
      /not a version 1 or 2 pocnet-ledger database/,
    )
    const report = await verifyLedger(dir.path, { identity })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/not a version 1 or 2 pocnet-ledger database/)
  })

  it('finishes an upgrade that a crash cut short (tiles first, then single entries)', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await fill(ledger, 3 * TILE_WIDTH)
    const root = await ledger.root()
    await ledger.close()
    await withRawDb((db) => downgrade(db, [1, 2]))
    expect((await verifyLedger(dir.path, { identity })).ok).toBe(true)
    const progress: Array<{ tiled: number; total: number }> = []
    const upgraded = await openTestLedger(dir.path, identity, { onUpgrade: (p) => progress.push(p) })
    expect(progress.at(0)).toEqual({ tiled: TILE_WIDTH, total: 3 * TILE_WIDTH })
    expect(await upgraded.root()).toEqual(root)
    await upgraded.close()
    await withRawDb(async (db) => {
      expect(await countRecords(db, PREFIX.tile)).toBe(3)
      expect(await countRecords(db, PREFIX.entry)).toBe(0)
    })
    // nothing left to upgrade: not told at all
    const again = await openTestLedger(dir.path, identity, { onUpgrade: (p) => progress.push(p) })
    await again.close()
    expect(progress).toHaveLength(2)
  })
})
