import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '@pocnet/crypto'

/** Where an attachment stands, on either side (docs/cases.md §9). */
export const ATTACHMENT_STATES = [
  'uploading',
  'uploaded',
  'offered',
  'fetching',
  'complete',
  'failed',
] as const
export type AttachmentState = (typeof ATTACHMENT_STATES)[number]

/**
 * What a node keeps of one attachment besides its chunks: everything the case message says of it
 * except the key, which lives only in that message (sealed on the wire, encrypted at rest in the
 * ledger's blobs), and how far its transfer went.
 */
export interface AttachmentRecord {
  id: string
  direction: 'sent' | 'received'
  name: string
  size: number
  sha256: string
  mediaType?: string
  chunkSize: number
  /** SHA-256 (hex) of each chunk's plain bytes. */
  chunks: string[]
  state: AttachmentState
  caseId?: string
  counterpart?: string
  /** The case message that carries it. */
  messageId?: string
  /** Why it failed, when it did. */
  error?: string
  /** Received: the sender was told it is complete. Sent: the receiver told us. */
  noticeDone?: boolean
  completedAt?: string
  /** Sent: when its upload finished, from which an upload never sent expires (`UnsentUploads`). */
  uploadedAt?: string
}

const STATE_FILE = 'state.json'
const MAX_STATE_BYTES = 4 * 1024 * 1024

/**
 * The attachments folder of a data dir: per attachment `<id>/state.json` and `<id>/<index>.chunk`,
 * each chunk sealed with the attachment's key exactly as it travels (so at rest too). Every write
 * goes to a temporary file, is fsync'd and renamed: a chunk file present is a whole, checked chunk,
 * which is what lets a transfer resume after a crash from the chunks on disk.
 */
export class AttachmentStore {
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  #dir(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`not an attachment id: ${id}`)
    return join(this.root, id)
  }

  chunkPath(id: string, index: number): string {
    return join(this.#dir(id), `${index}.chunk`)
  }

  /** Every attachment's record; a folder with an unreadable record is left out and named in `damaged`. */
  async load(): Promise<{ records: AttachmentRecord[]; damaged: string[] }> {
    await mkdir(this.root, { recursive: true, mode: 0o700 })
    const records: AttachmentRecord[] = []
    const damaged: string[] = []
    for (const id of await readdir(this.root)) {
      if (!/^[0-9a-f]{32}$/.test(id)) continue
      try {
        const text = await readFile(join(this.root, id, STATE_FILE), 'utf8')
        if (text.length > MAX_STATE_BYTES) throw new Error('too large')
        records.push(JSON.parse(text) as AttachmentRecord)
      } catch {
        damaged.push(id)
      }
    }
    return { records, damaged }
  }

  async create(record: AttachmentRecord): Promise<void> {
    await mkdir(this.#dir(record.id), { recursive: true, mode: 0o700 })
    await this.save(record)
  }

  async save(record: AttachmentRecord): Promise<void> {
    await writeFileAtomic(join(this.#dir(record.id), STATE_FILE), Buffer.from(JSON.stringify(record)))
  }

  async writeChunk(id: string, index: number, sealed: Uint8Array): Promise<void> {
    await writeFileAtomic(this.chunkPath(id, index), sealed)
  }

  /**
   * A received chunk: written to a temporary file and renamed into place, not fsync'd (an fsync per
   * chunk would bound a transfer to the disk's flush rate). A process killed mid-write leaves no
   * partial chunk; after a power loss a chunk may be empty or garbage, which `checkPresent` finds
   * at the next start. `syncChunks` makes the whole file durable before it is recorded.
   */
  async writeReceivedChunk(id: string, index: number, sealed: Uint8Array): Promise<void> {
    const path = this.chunkPath(id, index)
    await writeFile(`${path}.tmp`, sealed, { mode: 0o600 })
    await rename(`${path}.tmp`, path)
  }

  /** fsyncs chunks 0 to count - 1 of `id` and its folder: the received file is durable. */
  async syncChunks(id: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const handle = await open(this.chunkPath(id, i), 'r')
      try {
        await handle.sync()
      } finally {
        await handle.close()
      }
    }
    const dir = await open(this.#dir(id), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }

  async removeChunk(id: string, index: number): Promise<void> {
    await rm(this.chunkPath(id, index), { force: true })
  }

  async readChunk(id: string, index: number): Promise<Buffer> {
    return readFile(this.chunkPath(id, index))
  }

  /** The indexes of the chunks on disk (whole ones: a chunk is renamed into place only once written). */
  async presentChunks(id: string): Promise<Set<number>> {
    const present = new Set<number>()
    for (const name of await readdir(this.#dir(id)).catch(() => [] as string[])) {
      const m = /^(\d+)\.chunk$/.exec(name)
      if (m !== null) present.add(Number(m[1]))
    }
    return present
  }

  async remove(id: string): Promise<void> {
    await rm(this.#dir(id), { recursive: true, force: true })
  }
}
