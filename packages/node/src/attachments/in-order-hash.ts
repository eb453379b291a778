import { createHash, type Hash } from 'node:crypto'
import { chunkCount } from '@pocnet/cases'
import { digestChunk } from './chunk-seal.ts'
import type { ReceivedFile } from './received-file.ts'
import type { AttachmentRecord } from './store.ts'

/**
 * The whole file's SHA-256, fed with each chunk as the pull checks or stores it, in order: a chunk
 * checked in its turn feeds it in the same pass as its own check (`trial`, `checked`), one stored
 * when its turn has come meanwhile is opened again from memory, one stored ahead of its turn is read
 * back from disk when its turn comes. So the check of the whole file after the pull reads nothing more when the pull ran
 * from the first chunk, and only what is left otherwise (a pull resumed after a restart starts over
 * from chunk 0: a hash's state cannot be kept across a restart).
 */
export class InOrderHash {
  #hash: Hash = createHash('sha256')
  readonly #record: AttachmentRecord
  readonly #key: Buffer
  readonly #file: ReceivedFile
  readonly #present: ReadonlySet<number>
  readonly #count: number
  /** The next chunk the hash takes. */
  #next = 0
  /** Reading back chunks stored ahead of their turn (or before this pull), one at a time. */
  #catchingUp: Promise<void>
  /** Why reading back failed: `digest` throws it (the pull may have ended before anyone waits for it). */
  #failure: unknown

  constructor(record: AttachmentRecord, key: Buffer, file: ReceivedFile, present: ReadonlySet<number>) {
    this.#record = record
    this.#key = key
    this.#file = file
    this.#present = present
    this.#count = chunkCount(record.size, record.chunkSize)
    this.#catchingUp = this.#guarded(Promise.resolve())
  }

  #guarded(before: Promise<void>): Promise<void> {
    return before
      .then(() => this.#catchUp())
      .catch((err: unknown) => {
        this.#failure ??= err
      })
  }

  /**
   * A copy of the hash to feed with chunk `index` as it is checked, when it is the next the hash
   * takes; `checked` adopts it once the chunk proved good, otherwise it is dropped.
   */
  trial(index: number): Hash | undefined {
    return index === this.#next && this.#failure === undefined ? this.#hash.copy() : undefined
  }

  /** Chunk `index` proved good, and `fed` (from `trial(index)`, nothing awaited since) holds it. */
  checked(index: number, fed: Hash): void {
    if (index !== this.#next) throw new Error(`chunk ${index} checked out of turn (${this.#next} is next)`)
    this.#hash = fed
    this.#next++
    this.#catchingUp = this.#guarded(this.#catchingUp)
  }

  /** Chunk `index` was checked and stored, `sealed` as it is on disk. */
  stored(index: number, sealed: Uint8Array): void {
    if (index !== this.#next) return
    this.#take(sealed)
    this.#catchingUp = this.#guarded(this.#catchingUp)
  }

  #take(sealed: Uint8Array): void {
    const { id } = this.#record
    if (digestChunk(this.#key, id, this.#next, this.#count, sealed, this.#hash) === undefined)
      throw new Error(`chunk ${this.#next} does not open`)
    this.#next++
  }

  async #catchUp(): Promise<void> {
    while (this.#failure === undefined && this.#next < this.#count && this.#present.has(this.#next))
      this.#take(await this.#file.read(this.#next))
  }

  /** The SHA-256 (hex) of the whole file, reading from disk whatever the pull did not feed in turn. */
  async digest(): Promise<string> {
    await this.#catchingUp
    if (this.#failure !== undefined) throw this.#failure
    for (; this.#next < this.#count; ) this.#take(await this.#file.read(this.#next))
    return this.#hash.digest('hex')
  }
}
