import { bytesEqual, sha256, toHex } from '@pocnet/crypto'
import { blobHash, openBlob } from './blobs.ts'
import { blobKey } from './layout.ts'
import type { BatchOp, LedgerDb } from './store.ts'

/*
 * The stored form of the blobs an append refers to, so that its entry can commit to the hash of
 * the bytes as stored (docs/ledger.md §4) and an auditor without the node key can check them.
 * A blob is stored once under its address: a copy already stored intact is kept, never sealed
 * again (a fresh nonce would change the stored bytes an earlier entry committed to).
 */

/** Blob bytes sealed for an append, by the hex of their address. */
export type SealedBlobs = ReadonlyMap<string, Uint8Array>

/** What one write's blobs resolve to: the entry's stored-bytes hashes and the puts they need. */
export interface StoredCommitment {
  /** One per blob, or undefined when some blob's stored form is not known (then none). */
  stored: Uint8Array[] | undefined
  puts: BatchOp[]
  /** Stored forms this write fixed, for later writes of the same batch (once it is accepted). */
  fixed: Map<string, Uint8Array>
}

/** Resolves the stored forms for one batch of writes; reads the database, never writes it. */
export class StoredBlobResolver {
  readonly #db: LedgerDb
  /** The current blob key first, then those of earlier node keys (blob-keys.ts). */
  readonly #blobKeys: readonly Uint8Array[]
  /** Stored forms fixed by accepted writes of this batch. */
  readonly #batch = new Map<string, Uint8Array>()
  /** What the database held for each prefetched address (undefined: absent or damaged). */
  readonly #prefetched = new Map<string, Uint8Array | undefined>()

  constructor(db: LedgerDb, blobKeys: readonly Uint8Array[]) {
    this.#db = db
    this.#blobKeys = blobKeys
  }

  /** The stored-bytes hashes for `hashes`: stored intact already, sealed in this batch, or `fresh`. */
  async resolve(hashes: readonly Uint8Array[], fresh: SealedBlobs): Promise<StoredCommitment> {
    const fixed = new Map<string, Uint8Array>()
    const puts: BatchOp[] = []
    const stored: Uint8Array[] = []
    let complete = true
    for (const hash of hashes) {
      const hex = toHex(hash)
      let sealed = fixed.get(hex) ?? this.#batch.get(hex) ?? (await this.#storedIntact(hash))
      if (sealed === undefined) {
        sealed = fresh.get(hex)
        if (sealed !== undefined) puts.push({ type: 'put', key: blobKey(hash), value: sealed })
      }
      if (sealed === undefined) complete = false
      else {
        fixed.set(hex, sealed)
        stored.push(sha256(sealed))
      }
    }
    return { stored: complete && stored.length > 0 ? stored : undefined, puts, fixed }
  }

  /**
   * Reads the stored forms of `hashes` in one database call, so that resolving a whole batch costs
   * one round trip to LevelDB's thread rather than one per blob, during which the event loop moves on.
   */
  async prefetch(hashes: readonly Uint8Array[]): Promise<void> {
    const wanted = new Map<string, Uint8Array>()
    for (const hash of hashes) {
      const hex = toHex(hash)
      if (!this.#prefetched.has(hex)) wanted.set(hex, hash)
    }
    if (wanted.size === 0) return
    const values = await this.#db.getMany([...wanted.values()].map(blobKey))
    let i = 0
    for (const [hex, hash] of wanted) {
      const sealed = values[i++]
      this.#prefetched.set(
        hex,
        sealed === undefined ? undefined : intactOrUndefined(this.#blobKeys, hash, sealed),
      )
    }
  }

  /** Makes an accepted write's stored forms those of the rest of the batch. */
  accept(commitment: StoredCommitment): void {
    for (const [hex, sealed] of commitment.fixed) this.#batch.set(hex, sealed)
  }

  async #storedIntact(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const hex = toHex(hash)
    if (this.#prefetched.has(hex)) return this.#prefetched.get(hex)
    return storedIntact(this.#db, this.#blobKeys, hash)
  }
}

/**
 * The stored bytes of blob `hash` when they open under one of `keys` (blobs are never sealed again
 * at a key rotation) and match it; undefined when absent or damaged.
 */
export async function storedIntact(
  db: LedgerDb,
  keys: readonly Uint8Array[],
  hash: Uint8Array,
): Promise<Uint8Array | undefined> {
  const sealed = await db.get(blobKey(hash))
  return sealed === undefined ? undefined : intactOrUndefined(keys, hash, sealed)
}

/** `sealed` when it opens under one of `keys` to bytes matching `hash`; undefined otherwise. */
function intactOrUndefined(
  keys: readonly Uint8Array[],
  hash: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  for (const key of keys) {
    const bytes = openBlob(key, sealed)
    if (bytes !== undefined) return bytesEqual(blobHash(bytes), hash) ? sealed : undefined
  }
  return undefined
}
