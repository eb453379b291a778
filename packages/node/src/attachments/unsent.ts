import type { Logger } from '../log.ts'
import type { AttachmentRecord, AttachmentStore } from './store.ts'

/** How often the unsent uploads are looked at, at most: a TTL of a day is kept within the hour. */
const MAX_SWEEP_INTERVAL_MS = 60 * 60 * 1000
const MIN_SWEEP_INTERVAL_MS = 60 * 1000

export interface UnsentUploadsInit {
  records: Map<string, AttachmentRecord>
  store: AttachmentStore
  /** How long an upload may wait for a message (config attachments.unsentUploadTtlMs). */
  ttlMs: number
  now: () => number
  log: Logger
}

/**
 * Uploads never put in a message (state `uploaded`): removed once older than the TTL, swept at start
 * and then on one timer, and at once when the request or step that was to carry them is refused
 * before it is sent. Without this they would stay on disk for good, counted against nothing.
 */
export class UnsentUploads {
  readonly #init: UnsentUploadsInit
  #timer: ReturnType<typeof setInterval> | undefined
  #sweeping: Promise<void> | undefined

  constructor(init: UnsentUploadsInit) {
    this.#init = init
  }

  /** When the upload of `record` finished, for its TTL; an upload from before this was recorded counts from now. */
  async #uploadedAt(record: AttachmentRecord): Promise<number> {
    const at = record.uploadedAt === undefined ? Number.NaN : Date.parse(record.uploadedAt)
    if (!Number.isNaN(at)) return at
    record.uploadedAt = new Date(this.#init.now()).toISOString()
    await this.#init.store.save(record)
    return Date.parse(record.uploadedAt)
  }

  /** Removes every unsent upload past its TTL; returns their ids. */
  async sweep(): Promise<string[]> {
    const removed: string[] = []
    const now = this.#init.now()
    for (const record of [...this.#init.records.values()]) {
      if (record.direction !== 'sent' || record.state !== 'uploaded') continue
      if ((await this.#uploadedAt(record)) + this.#init.ttlMs > now) continue
      await this.#remove(record)
      removed.push(record.id)
    }
    if (removed.length > 0)
      this.#init.log.info('attachments.unsent-removed', {
        count: removed.length,
        reason: `not sent within ${this.#init.ttlMs} ms of upload (config attachments.unsentUploadTtlMs)`,
      })
    return removed
  }

  /**
   * A request form or step (`message`, as a client sent it) was refused before it was sent: the
   * uploads its `attachments` name go now. The CLI uploads afresh each time it sends, so none will
   * be asked for again; an upload already in a message is never touched.
   */
  async discardNamedIn(message: unknown): Promise<void> {
    const named = (message as { attachments?: unknown } | undefined)?.attachments
    if (!Array.isArray(named)) return
    for (const a of named) {
      const id = (a as { transfer?: { id?: unknown } } | undefined)?.transfer?.id
      const record = typeof id === 'string' ? this.#init.records.get(id) : undefined
      if (record?.direction === 'sent' && record.state === 'uploaded') await this.#remove(record)
    }
  }

  async #remove(record: AttachmentRecord): Promise<void> {
    this.#init.records.delete(record.id)
    await this.#init.store.remove(record.id)
  }

  /** Sweeps now, then every quarter TTL (between a minute and an hour) until `stop`. */
  async start(): Promise<void> {
    await this.sweep()
    const every = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, this.#init.ttlMs / 4))
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.#init.log.error('attachments.sweep-failed', { error: String(err) }))
        .finally(() => {
          this.#sweeping = undefined
        })
    }, every)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#sweeping
  }
}
