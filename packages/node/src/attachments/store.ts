import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '@pocnet/crypto'
import { ReceivedFile } from './received-file.ts'

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
const RECEIVED_FILE = 'received.sealed'

/**
 * The attachments folder of a data dir: per attachment `<id>/state.json` and its chunks, each sealed
 * with the attachment's key exactly as it travels (so at rest too). A sent attachment's chunks are
 * `<id>/<index>.chunk`, each written to a temporary file, fsync'd and renamed as it is uploaded. A
 * received one's are `<id>/received.sealed`, one file written at offsets as the pull checks each
 * chunk (`ReceivedFile`), and checked again where it lies after a restart.
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

  async readChunk(id: string, index: number): Promise<Buffer> {
    return readFile(this.chunkPath(id, index))
  }

  /** The file holding a received attachment's sealed chunks (`ReceivedFile`). */
  receivedPath(id: string): string {
    return join(this.#dir(id), RECEIVED_FILE)
  }

  /** The received file of `record`, open to write its chunks: created if absent. */
  openReceived(record: AttachmentRecord): Promise<ReceivedFile> {
    return ReceivedFile.open(this.receivedPath(record.id), record)
  }

  /**
   * Sealed chunk `index` of a received attachment, as stored: from its received file, or from its
   * own chunk file when a node before the received file completed it.
   */
  async readReceivedChunk(record: AttachmentRecord, index: number): Promise<Buffer> {
    const file = await ReceivedFile.openToRead(this.receivedPath(record.id), record)
    if (file === undefined) return this.readChunk(record.id, index)
    try {
      return await file.read(index)
    } finally {
      await file.close()
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.#dir(id), { recursive: true, force: true })
  }
}
