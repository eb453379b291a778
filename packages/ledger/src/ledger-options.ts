import type { NodeIdentity } from '@pocnet/crypto'
import type { KeyRotationPolicy } from './key-rotation.ts'

export interface CheckpointPolicy {
  /** Cut a checkpoint once this many entries were appended since the last one. */
  entries?: number
  /** Cut a checkpoint this often (milliseconds) when there are new entries. */
  ms?: number
}

export interface LedgerOptions {
  /** The ledger's own directory; it holds `db/` (LevelDB) and `checkpoint` (the latest one). */
  dir: string
  /** Signs checkpoints; the blob store's key is derived from its signing seed. */
  identity: NodeIdentity
  /** Checkpoint origin line, e.g. checkpointOrigin(networkId, country). Fixed at creation. */
  origin: string
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number
  checkpointEvery?: CheckpointPolicy
  /** Told when an automatic checkpoint fails (the append itself has succeeded by then). */
  onCheckpointError?: (err: Error) => void
  /**
   * Told as `open` moves a version 1 database's entries into tiles (docs/ledger.md §3): before the
   * first batch and after each, with the entries in tiles so far out of those to tile.
   */
  onUpgrade?: (progress: { tiled: number; total: number }) => void
  /**
   * Asked when `identity` is not the ledger's current key: a grant makes `open` record the
   * rotation (a key-rotation entry, then a checkpoint under the new key); none refuses the open.
   */
  keyRotation?: KeyRotationPolicy
}

export interface AppendOptions {
  /** Blob bytes stored in the same atomic batch; their hashes are added to the entry's `blobs`. */
  blobs?: Uint8Array[]
}
