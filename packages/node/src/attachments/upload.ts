import { createHash, type Hash, randomBytes } from 'node:crypto'
import { type Attachment, chunkCount } from '@pocnet/cases'
import { NodeError } from '../errors.ts'
import { sealChunk } from './chunk-seal.ts'
import type { AttachmentsConfig } from './config.ts'
import type { AttachmentRecord, AttachmentStore } from './store.ts'

/** An upload under way: its key and running hash live only in memory, until it is finished. */
interface OpenUpload {
  record: AttachmentRecord
  key: Buffer
  whole: Hash
  /** The next chunk expected: chunks come in order, each sealed and stored as it arrives. */
  next: number
}

/** Most uploads under way at once: each holds a hash state and a key, nothing more. */
const MAX_OPEN_UPLOADS = 64

/**
 * Files a local user attaches, taken chunk by chunk from the CLI (never whole in memory): each
 * chunk is hashed, sealed under a fresh per-attachment key and stored as it will travel. Finishing
 * gives the attachment as the case message names it, key and chunk hashes included; the key is
 * then forgotten here and kept only in that message. An upload a restart cut short is lost: the
 * CLI starts again.
 */
export class Uploads {
  readonly #open = new Map<string, OpenUpload>()
  readonly #store: AttachmentStore
  readonly #config: AttachmentsConfig
  readonly #onRecord: (record: AttachmentRecord) => void
  readonly #now: () => number

  constructor(
    store: AttachmentStore,
    config: AttachmentsConfig,
    onRecord: (record: AttachmentRecord) => void,
    now: () => number = Date.now,
  ) {
    this.#store = store
    this.#config = config
    this.#onRecord = onRecord
    this.#now = now
  }

  async begin(file: {
    name: string
    size: number
    mediaType?: string
  }): Promise<{ id: string; chunkSize: number; chunks: number }> {
    const { maxFileBytes, chunkBytes } = this.#config
    if (file.size > maxFileBytes)
      throw new NodeError(
        'ERR_ATTACHMENT_TOO_LARGE',
        `${file.name} is ${file.size} bytes, over the cap of ${maxFileBytes} bytes per file (config attachments.maxFileBytes)`,
      )
    if (this.#open.size >= MAX_OPEN_UPLOADS)
      throw new NodeError(
        'ERR_ATTACHMENT_BUSY',
        `${MAX_OPEN_UPLOADS} uploads are under way already; try again`,
      )
    const id = randomBytes(16).toString('hex')
    const record: AttachmentRecord = {
      id,
      direction: 'sent',
      name: file.name,
      size: file.size,
      sha256: '',
      ...(file.mediaType !== undefined && { mediaType: file.mediaType }),
      chunkSize: chunkBytes,
      chunks: [],
      state: 'uploading',
    }
    await this.#store.create(record)
    this.#onRecord(record)
    this.#open.set(id, { record, key: randomBytes(32), whole: createHash('sha256'), next: 0 })
    return { id, chunkSize: chunkBytes, chunks: chunkCount(file.size, chunkBytes) }
  }

  #upload(id: string): OpenUpload {
    const upload = this.#open.get(id)
    if (upload === undefined)
      throw new NodeError(
        'ERR_NO_UPLOAD',
        `no upload ${id} is under way (a restart ends uploads): attach the file again`,
      )
    return upload
  }

  /** Stores chunk `index`; chunks come in order, and a repeat of the last one stored is taken as done. */
  async put(id: string, index: number, data: Uint8Array): Promise<{ stored: number }> {
    const upload = this.#upload(id)
    const { record } = upload
    const count = chunkCount(record.size, record.chunkSize)
    if (index === upload.next - 1) return { stored: upload.next }
    if (index !== upload.next)
      throw new NodeError('ERR_UPLOAD_ORDER', `chunk ${index}: chunk ${upload.next} of ${count} comes next`)
    const expected = Math.min(record.chunkSize, record.size - index * record.chunkSize)
    if (index >= count || data.length !== expected)
      throw new NodeError(
        'ERR_UPLOAD_CHUNK',
        `chunk ${index} is ${data.length} bytes; chunk ${index} of a ${record.size}-byte file is ${Math.max(0, expected)}`,
      )
    upload.whole.update(data)
    const sealed = sealChunk(upload.key, id, index, count, data)
    await this.#store.writeChunk(id, index, sealed)
    record.chunks.push(createHash('sha256').update(data).digest('hex'))
    upload.next++
    return { stored: upload.next }
  }

  /** The attachment as a case message carries it; the upload must hold every chunk. */
  async finish(id: string): Promise<Attachment> {
    const upload = this.#upload(id)
    const { record } = upload
    const count = chunkCount(record.size, record.chunkSize)
    if (upload.next !== count)
      throw new NodeError('ERR_UPLOAD_INCOMPLETE', `upload ${id} holds ${upload.next} of ${count} chunks`)
    record.sha256 = upload.whole.digest('hex')
    record.state = 'uploaded'
    record.uploadedAt = new Date(this.#now()).toISOString()
    await this.#store.save(record)
    this.#open.delete(id)
    return {
      name: record.name,
      sha256: record.sha256,
      size: record.size,
      ...(record.mediaType !== undefined && { mediaType: record.mediaType }),
      transfer: {
        id,
        chunkSize: record.chunkSize,
        chunks: [...record.chunks],
        key: upload.key.toString('hex'),
      },
    }
  }
}
