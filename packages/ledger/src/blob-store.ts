import { bytesEqual } from '@pocnet/crypto'
import { blobHash, openBlob, sealBlob } from './blobs.ts'
import { HASH_LENGTH } from './constants.ts'
import { BlobError } from './errors.ts'
import { blobKey, PREFIX, prefixRange } from './layout.ts'
import { type LedgerDb, plain } from './store.ts'
import { storedIntact } from './stored-blobs.ts'

/**
 * A ledger's blobs, sealed under the current node key's blob key and stored under their address;
 * those of earlier node keys still open with theirs. The caller serialises the writes.
 */
export class BlobStore {
  readonly #db: LedgerDb
  /** The current blob key first, then those of earlier node keys still readable (blob-keys.ts). */
  readonly keys: readonly Uint8Array[]

  constructor(db: LedgerDb, keys: readonly Uint8Array[]) {
    this.#db = db
    this.keys = keys
  }

  /** `bytes` sealed under the current blob key, to store under `hash`, their address. */
  seal(bytes: Uint8Array): { hash: Uint8Array; sealed: Uint8Array } {
    return { hash: blobHash(bytes), sealed: sealBlob(this.keys[0]!, bytes) }
  }

  /** Stores a sealed blob (fsync'd) unless an intact copy is stored: entries may commit to its bytes. */
  async put(hash: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
    if ((await storedIntact(this.#db, this.keys, hash)) !== undefined) return hash
    await this.#db.put(blobKey(hash), sealed, { sync: true })
    return hash
  }

  /** The blob with this hash, or `undefined` when none is stored; BlobError if it was altered. */
  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    if (hash.length !== HASH_LENGTH) throw new BlobError('a blob hash is 32 bytes')
    const sealed = await this.#db.get(blobKey(hash))
    if (sealed === undefined) return undefined
    const bytes = this.#open(sealed)
    if (bytes === undefined || !bytesEqual(blobHash(bytes), hash))
      throw new BlobError('the stored bytes do not open or do not match their hash')
    return bytes
  }

  /** Every stored blob's hash and plaintext; blobs that fail to open are skipped. */
  async *all(): AsyncGenerator<{ hash: Uint8Array; bytes: Uint8Array }> {
    for await (const [key, sealed] of this.#db.iterator(prefixRange(new Uint8Array([PREFIX.blob])))) {
      const hash = plain(key.subarray(1))
      const bytes = this.#open(sealed)
      if (bytes !== undefined && bytesEqual(blobHash(bytes), hash)) yield { hash, bytes }
    }
  }

  /** Opens a stored blob under the current blob key, or one of an earlier node key. */
  #open(sealed: Uint8Array): Uint8Array | undefined {
    for (const key of this.keys) {
      const bytes = openBlob(key, sealed)
      if (bytes !== undefined) return bytes
    }
    return undefined
  }
}
