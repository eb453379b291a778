import { join } from 'node:path'
import { bytesEqual, type NodeIdentity, writeFileAtomic } from '@pocnet/crypto'
import { type SignedCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { mergeCosignatureLines } from './cosigned-note.ts'
import { CheckpointNotFoundError, CheckpointRefusedError } from './errors.ts'
import { type KeyEpoch, keyForSize } from './key-rotation.ts'
import { checkpointKey, numberOfKey, PREFIX, prefixRange } from './layout.ts'
import { verifyConsistency } from './merkle.ts'
import { decodeNote } from './signed-note.ts'
import { LATEST_CHECKPOINT_FILE, type LedgerDb, readLatestCheckpointFile } from './store.ts'

/**
 * A ledger's signed checkpoints: cut, stored with the cosignatures witnesses add, and the latest
 * mirrored to the `checkpoint` file. The caller serialises the writes (the ledger's one writer).
 */
export class CheckpointStore {
  readonly #db: LedgerDb
  readonly #dir: string
  #latest: SignedCheckpoint | undefined

  constructor(db: LedgerDb, dir: string, latest: SignedCheckpoint | undefined) {
    this.#db = db
    this.#dir = dir
    this.#latest = latest
  }

  /** The latest signed checkpoint, if any was cut, with the cosignatures stored on it. */
  get latest(): SignedCheckpoint | undefined {
    return this.#latest
  }

  /**
   * Signs a checkpoint of the tree `{ origin, size, root }`, stores it (fsync'd) and writes it to
   * the `checkpoint` file, after checking it extends the latest (`consistencyProof(latest size)`
   * gives the proof to the tree's size). Returns the latest unchanged when the size is the same.
   */
  async cut(
    tree: { origin: string; size: number; root: Uint8Array },
    identity: NodeIdentity,
    consistencyProof: (first: number) => Promise<Uint8Array[]>,
  ): Promise<SignedCheckpoint> {
    const { size, root } = tree
    const last = this.#latest
    if (last !== undefined) {
      if (size < last.size)
        throw new CheckpointRefusedError(`tree size ${size} is below the last checkpoint's ${last.size}`)
      if (size === last.size) {
        if (!bytesEqual(root, last.root))
          throw new CheckpointRefusedError(`the root at size ${size} differs from the last checkpoint's`)
        return last
      }
      if (last.size > 0) {
        const proof = await consistencyProof(last.size)
        if (!verifyConsistency(last.size, size, proof, last.root, root))
          throw new CheckpointRefusedError(
            `the tree of size ${size} is not consistent with the last checkpoint (size ${last.size})`,
          )
      }
    }
    const signed = signCheckpoint(tree, identity.signer, identity.signingPublicKey)
    const noteBytes = new TextEncoder().encode(signed.note)
    await this.#db.put(checkpointKey(size), noteBytes, { sync: true })
    await writeFileAtomic(join(this.#dir, LATEST_CHECKPOINT_FILE), noteBytes, 0o644)
    this.#latest = signed
    return signed
  }

  /** Ledger.addCosignatures, once its turn in the writer's queue has come. */
  async addCosignatures(size: number, lines: readonly string[]): Promise<number> {
    const key = checkpointKey(size)
    const stored = Number.isSafeInteger(size) && size >= 0 ? await this.#db.get(key) : undefined
    if (stored === undefined) throw new CheckpointNotFoundError(size, this.#latest?.size)
    const merged = mergeCosignatureLines(decodeNote(stored), lines)
    if (merged.added === 0) return 0
    const noteBytes = new TextEncoder().encode(merged.note)
    await this.#db.put(key, noteBytes, { sync: true })
    if (this.#latest?.size === size) {
      await writeFileAtomic(join(this.#dir, LATEST_CHECKPOINT_FILE), noteBytes, 0o644)
      this.#latest = { ...this.#latest, note: merged.note }
    }
    return merged.added
  }

  /** Every stored checkpoint (with its cosignatures), oldest first, each verified under `keys`. */
  async all(keys: readonly KeyEpoch[]): Promise<SignedCheckpoint[]> {
    const out: SignedCheckpoint[] = []
    for await (const [key, note] of this.#db.iterator(prefixRange(new Uint8Array([PREFIX.checkpoint])))) {
      const size = numberOfKey(key)
      out.push(verifyCheckpoint(decodeNote(note), keyForSize(keys, size)))
    }
    return out
  }
}

/**
 * Rewrites the `checkpoint` file when it is not the latest stored note: a crash between storing a
 * checkpoint (or its cosignatures) and writing the file leaves it one step behind.
 */
export async function repairLatestCheckpointFile(
  dir: string,
  latest: SignedCheckpoint | undefined,
): Promise<void> {
  if (latest === undefined) return
  const file = await readLatestCheckpointFile(dir).catch(() => undefined)
  const note = new TextEncoder().encode(latest.note)
  if (file === undefined || !bytesEqual(file, note))
    await writeFileAtomic(join(dir, LATEST_CHECKPOINT_FILE), note, 0o644)
}
