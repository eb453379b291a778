import { createHash, type Hash } from 'node:crypto'
import { chunkCount } from '@pocnet/cases'
import { digestChunk } from './chunk-seal.ts'
import type { ReceivedFile } from './received-file.ts'
import type { AttachmentRecord } from './store.ts'

/**
 * Chunks whose plain bytes wait in memory for their turn: with 8 chunks pulled at once their frames
 * interleave and most finish out of order, and each held chunk saves opening it again (or reading it
 * back). Bounds what they add to a transfer's memory to 8 plain chunks (8 MiB of 1 MiB chunks).
 */
const MAX_HELD = 8

/** The plain bytes of a chunk checked ahead of its turn, as `digestChunk` opened them. */
export class HeldChunk {
  readonly parts: Buffer[] = []
  update(plain: Buffer): void {
    this.parts.push(plain)
  }
}

/**
 * The whole file's SHA-256, fed with each chunk as the pull checks or stores it, in order: a chunk
 * checked in its turn feeds it in the same pass as its own check (`trial`, `checked`), one checked
 * ahead of its turn leaves its plain bytes here until its turn (at most MAX_HELD); past that, one
 * stored when its turn has come meanwhile is opened again from memory, one stored ahead of its turn
 * is read back from disk when its turn comes. So the check of the whole file after the pull reads nothing more when the pull ran
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
  /** The plain bytes of chunks checked ahead of their turn, by index, until it comes. */
  readonly #held = new Map<number, HeldChunk>()
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
   * What to feed with chunk `index`'s plain bytes as it is checked: a copy of the hash when it is
   * the next the hash takes; when it is ahead of its turn, a holder of those bytes, while fewer than
   * MAX_HELD chunks are held (so it is not opened again, nor read back). `checked` takes either once
   * the chunk proved good; otherwise it is dropped.
   */
  trial(index: number): Hash | HeldChunk | undefined {
    if (this.#failure !== undefined) return undefined
    if (index === this.#next) return this.#hash.copy()
    return this.#held.size < MAX_HELD ? new HeldChunk() : undefined
  }

  /** Chunk `index` proved good, and `fed` (from `trial(index)`, nothing awaited since) holds it. */
  checked(index: number, fed: Hash | HeldChunk): void {
    if (fed instanceof HeldChunk) this.#held.set(index, fed)
    else if (index !== this.#next)
      throw new Error(`chunk ${index} checked out of turn (${this.#next} is next)`)
    else {
      this.#hash = fed
      this.#next++
    }
    this.#catchingUp = this.#guarded(this.#catchingUp)
  }

  /** Chunk `index` was checked and stored, `sealed` as it is on disk. */
  stored(index: number, sealed: Uint8Array): void {
    if (index !== this.#next || this.#held.has(index)) return
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
    while (this.#failure === undefined && this.#next < this.#count) {
      const held = this.#held.get(this.#next)
      if (held !== undefined) {
        for (const part of held.parts) this.#hash.update(part)
        this.#held.delete(this.#next++)
      } else if (this.#present.has(this.#next)) this.#take(await this.#file.read(this.#next))
      else return
    }
  }

  /** The SHA-256 (hex) of the whole file, reading from disk whatever the pull did not feed in turn. */
  async digest(): Promise<string> {
    await this.#catchingUp
    if (this.#failure !== undefined) throw this.#failure
    for (; this.#next < this.#count; ) this.#take(await this.#file.read(this.#next))
    return this.#hash.digest('hex')
  }
}
