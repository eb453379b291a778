import type { LedgerEntry } from './entry.ts'
import {
  encodeEntryRun,
  entryKey,
  entryValue,
  indexKey,
  indexValuePrefix,
  nodeKey,
  TILE_WIDTH,
  tileKey,
} from './layout.ts'
import { hashLeaf, MerkleFrontier } from './merkle.ts'
import type { BatchOp, StoredEntry } from './store.ts'

const EMPTY = new Uint8Array(0)

/** The stored tree a batch appends to: its size and frontier hashes, its full tiles and open tile. */
export interface StoredTree {
  size: number
  hashes: Uint8Array[]
  tiled: number
  openTile: readonly StoredEntry[]
}

/** One write's entries, numbered and encoded, with the blob records stored with them. */
export interface EncodedWrite {
  entries: LedgerEntry[]
  encoded: Uint8Array[]
  blobPuts: BatchOp[]
}

/**
 * The records of one LevelDB batch that appends `writes` to `before`: each entry in the open tile
 * (or, once a tile fills, the tile, replacing the entries stored alone), the completed subtree
 * hashes, the index keys and the blobs; and the frontier and tiles as they are once it is stored.
 */
export function appendOps(
  before: StoredTree,
  writes: readonly EncodedWrite[],
): { ops: BatchOp[]; frontier: MerkleFrontier; tiled: number; openTile: StoredEntry[] } {
  const frontier = new MerkleFrontier(before.size, before.hashes)
  let tiled = before.tiled
  let openTile = [...before.openTile]
  const ops: BatchOp[] = []
  for (const { entries, encoded, blobPuts } of writes) {
    for (const [i, entry] of entries.entries()) {
      const bytes = encoded[i]!
      const leafHash = hashLeaf(bytes)
      openTile.push({ leafHash, bytes })
      if (openTile.length === TILE_WIDTH) {
        // the tile is full: one record replaces the entries stored alone by earlier batches
        ops.push({ type: 'put', key: tileKey(tiled / TILE_WIDTH), value: encodeEntryRun(openTile) })
        for (let seq = tiled; seq < before.size; seq++) ops.push({ type: 'del', key: entryKey(seq) })
        tiled += TILE_WIDTH
        openTile = []
      }
      frontier.append(leafHash, (level, index, hash) => {
        if (level > 0) ops.push({ type: 'put', key: nodeKey(level, index), value: hash })
      })
      for (const field of ['caseId', 'counterpart', 'kind'] as const) {
        const value = entry[field]
        if (value !== undefined)
          ops.push({ type: 'put', key: indexKey(indexValuePrefix(field, value), entry.seq), value: EMPTY })
      }
    }
    ops.push(...blobPuts)
  }
  for (let seq = Math.max(tiled, before.size); seq < frontier.size; seq++) {
    const { leafHash, bytes } = openTile[seq - tiled]!
    ops.push({ type: 'put', key: entryKey(seq), value: entryValue(leafHash, bytes) })
  }
  return { ops, frontier, tiled, openTile }
}
