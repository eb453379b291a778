import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { chunkCount } from '@pocnet/cases'
import { CHUNK_TAG_BYTES } from './chunk-seal.ts'
import { plainLength } from './pull.ts'
import type { AttachmentRecord } from './store.ts'

type Layout = Pick<AttachmentRecord, 'size' | 'chunkSize'>

/** Where sealed chunk `index` starts in a received file: every chunk but the last is `chunkSize` + tag. */
function offsetOf(record: Layout, index: number): number {
  return index * (record.chunkSize + CHUNK_TAG_BYTES)
}

/** The sealed length of chunk `index`: its plain bytes and the tag. */
export function sealedLength(record: Layout, index: number): number {
  return plainLength(record, index) + CHUNK_TAG_BYTES
}

/**
 * A received attachment's sealed chunks in one file, each at its own offset, as they travelled: one
 * open file for a whole pull, one write per chunk, one fsync at the end (a file per chunk cost an
 * open, a write, a close and a rename each, docs/performance.md). The file is sized to hold every
 * chunk when created; where no chunk was written it reads as zeros, which no chunk's tag accepts. So
 * a chunk counts as held only once checked against its tag and SHA-256 where it lies (`checkPresent`
 * at each start): after a SIGKILL its bytes are in the page cache, after a power loss they may be
 * missing or torn, and either way the check finds what to fetch again.
 */
export class ReceivedFile {
  readonly #handle: FileHandle
  readonly #path: string
  readonly #record: Layout

  private constructor(handle: FileHandle, path: string, record: Layout) {
    this.#handle = handle
    this.#path = path
    this.#record = record
  }

  /** Opens the file at `path` for `record`, created (holding no chunk) and sized if absent. */
  static async open(path: string, record: Layout): Promise<ReceivedFile> {
    // not O_APPEND, under which Linux ignores the position of each write
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600)
    try {
      const count = chunkCount(record.size, record.chunkSize)
      const length = count === 0 ? 0 : offsetOf(record, count - 1) + sealedLength(record, count - 1)
      if ((await handle.stat()).size < length) await handle.truncate(length)
    } catch (err) {
      await handle.close()
      throw err
    }
    return new ReceivedFile(handle, path, record)
  }

  /** Opens the file at `path` to read it, or undefined when there is none. */
  static async openToRead(path: string, record: Layout): Promise<ReceivedFile | undefined> {
    try {
      return new ReceivedFile(await open(path, 'r'), path, record)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  async write(index: number, sealed: Uint8Array): Promise<void> {
    const at = offsetOf(this.#record, index)
    for (let done = 0; done < sealed.length; ) {
      const { bytesWritten } = await this.#handle.write(sealed, done, sealed.length - done, at + done)
      done += bytesWritten
    }
  }

  /** The bytes where sealed chunk `index` lies, whether or not it was written (zeros where not). */
  async read(index: number): Promise<Buffer> {
    const sealed = Buffer.alloc(sealedLength(this.#record, index))
    const at = offsetOf(this.#record, index)
    for (let done = 0; done < sealed.length; ) {
      const { bytesRead } = await this.#handle.read(sealed, done, sealed.length - done, at + done)
      if (bytesRead === 0) throw new Error(`${this.#path} ends before chunk ${index} does`)
      done += bytesRead
    }
    return sealed
  }

  /** Makes the file and its entry in its folder durable. */
  async sync(): Promise<void> {
    await this.#handle.sync()
    const dir = await open(dirname(this.#path), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }

  /** Closes the file once the reads and writes under way are done. */
  async close(): Promise<void> {
    await this.#handle.close()
  }
}
