import { encodeEntryRun, entryKey, TILE_WIDTH, tileKey } from './layout.ts'
import { type BatchOp, type LedgerDb, readSingleEntries } from './store.ts'

/*
 * The upgrade of a version 1 database (every entry in its own record) to version 2 (full tiles
 * of 256 in one record), docs/ledger.md §3. Ledger.open runs it on every open: it does nothing
 * once every full tile is a tile record.
 */

/** Tiles per batch when Ledger.open upgrades a version 1 database. */
const UPGRADE_TILES_PER_BATCH = 64

/**
 * Moves entries stored alone into tiles wherever they fill one (upgrading a version 1 database,
 * or finishing an upgrade a crash cut short), a bounded batch at a time: each batch writes its
 * tiles and deletes their single entries atomically, so the database is valid between batches.
 * Returns the new count of entries in tiles.
 */
export async function tileSingleEntries(
  db: LedgerDb,
  tiled: number,
  size: number,
  onUpgrade?: (progress: { tiled: number; total: number }) => void,
): Promise<number> {
  const total = size - (size % TILE_WIDTH)
  if (tiled < total) onUpgrade?.({ tiled, total })
  while (size - tiled >= TILE_WIDTH) {
    const tiles = Math.min(UPGRADE_TILES_PER_BATCH, Math.floor((size - tiled) / TILE_WIDTH))
    const entries = await readSingleEntries(db, tiled, tiled + tiles * TILE_WIDTH)
    const ops: BatchOp[] = []
    for (let t = 0; t < tiles; t++) {
      const first = tiled + t * TILE_WIDTH
      const tile = entries.slice(t * TILE_WIDTH, (t + 1) * TILE_WIDTH)
      ops.push({ type: 'put', key: tileKey(first / TILE_WIDTH), value: encodeEntryRun(tile) })
      for (let seq = first; seq < first + TILE_WIDTH; seq++) ops.push({ type: 'del', key: entryKey(seq) })
    }
    await db.batch(ops, { sync: true })
    tiled += tiles * TILE_WIDTH
    onUpgrade?.({ tiled, total })
  }
  return tiled
}
