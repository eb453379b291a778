import { join } from 'node:path'
import type { DialTarget, PeerId } from '@libp2p/interface'
import { type Attachment, chunkCount } from '@pocnet/cases'
import type { RosterState } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import type { RejectReason } from '@pocnet/protocol'
import { type FrameBudget, RequestStreams, serveRequests } from '@pocnet/protocol/reqresp'
import { ATTACHMENT_PROTOCOL, DATA_DIR } from '../constants.ts'
import { NodeError } from '../errors.ts'
import type { Host } from '../host.ts'
import { type Logger, LogThrottle } from '../log.ts'
import { openChunk } from './chunk-seal.ts'
import { ChunkServer } from './chunk-server.ts'
import type { AttachmentsConfig } from './config.ts'
import { InOrderHash } from './in-order-hash.ts'
import type { attachmentsOfCase, NamedAttachment } from './of-case.ts'
import { checkOffer } from './offer-check.ts'
import { ChunkUnavailable, checkPresent, PULL_WINDOW, pullMissing } from './pull.ts'
import type { ReceivedFile } from './received-file.ts'
import { type AttachmentStatus, attachmentStatus } from './status.ts'
import { type AttachmentRecord, AttachmentStore } from './store.ts'
import { UnsentUploads } from './unsent.ts'
import { Uploads } from './upload.ts'
import {
  decodeChunkRequest,
  decodeChunkResponse,
  encodeChunkRequest,
  MAX_CHUNK_REQUEST_BYTES,
  MAX_CHUNK_RESPONSE_BYTES,
} from './wire.ts'

export interface AttachmentsInit {
  dataDir: string
  config: AttachmentsConfig
  ledger: Ledger
  host: Host
  getRoster: () => RosterState
  targetOf(country: string): Promise<{ peer: PeerId; target: DialTarget }>
  /** The key (hex) the case message gave attachment `id` of case `caseId`: the case book holds it. */
  keyOf(caseId: string, id: string): string | undefined
  /** Each frame's deadline on the attachment protocol (config delivery.readTimeoutMs). */
  timeoutMs: number
  frameBudget?: FrameBudget
  /** The clock of unsent uploads' TTL (the case clock, which tests move). */
  now?: () => number
  log: Logger
}

/** Streams of the attachment protocol served at once on one connection: a receiver's window, and room for a second transfer. */
const MAX_INBOUND_ATTACHMENT_STREAMS = 2 * PULL_WINDOW
/** Messages given up on remembered at most: far more than are refused between a submission and its `offered`. */
const MAX_UNDELIVERED_KEPT = 1_000
const RETRY_FIRST_MS = 500
const RETRY_MAX_MS = 10_000

/**
 * Attachments that travel (docs/cases.md §9): uploads from local users, the caps and
 * the quota, the attachment protocol's serving side (chunks of what this node sent, to the
 * counterpart it sent them to), and the pulls of what it received, resumed at start. Both ends
 * record completion in their ledger: the receiver `attachment-stored` once the whole file checked,
 * the sender `attachment-delivered` when the receiver says so over the protocol.
 */
export class Attachments {
  readonly #init: AttachmentsInit
  readonly #store: AttachmentStore
  readonly #records = new Map<string, AttachmentRecord>()
  /** Chunks on disk (received) or served at least once (sent), per attachment. */
  readonly #progress = new Map<string, Set<number>>()
  readonly #pulls = new Map<string, Promise<void>>()
  /** Quota bytes set aside for messages checked but not yet stored, by message id. */
  readonly #reserved = new Map<string, number>()
  /** Messages the outbox gave up on lately, and why: one may be given up before it is known to carry attachments. */
  readonly #undelivered = new Map<string, string>()
  readonly #streams: RequestStreams
  readonly #shutdown = new AbortController()
  readonly #throttle = new LogThrottle()
  readonly #server: ChunkServer
  readonly uploads: Uploads
  readonly unsent: UnsentUploads
  /** Bad chunks received, by reason: the "counted" of "refused, counted, logged". */
  readonly refusals: Record<string, number> = {}

  /** Refused since start, by reason in kebab case: requests and streams served, and chunks received (health). */
  refusalCounts(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const [reason, n] of Object.entries({ ...this.#server.refusals, ...this.refusals }))
      counts[reason.replaceAll(' ', '-')] = n
    return counts
  }

  constructor(init: AttachmentsInit) {
    this.#init = init
    this.#store = new AttachmentStore(join(init.dataDir, DATA_DIR.attachments))
    this.#server = new ChunkServer({
      records: this.#records,
      progress: this.#progress,
      store: this.#store,
      ledger: init.ledger,
      getRoster: init.getRoster,
      log: init.log,
    })
    const now = init.now ?? Date.now
    this.uploads = new Uploads(this.#store, init.config, (r) => this.#records.set(r.id, r), now)
    this.unsent = new UnsentUploads({
      records: this.#records,
      store: this.#store,
      ttlMs: init.config.unsentUploadTtlMs,
      now,
      log: init.log,
    })
    this.#streams = new RequestStreams(init.host, ATTACHMENT_PROTOCOL, {
      maxResponseBytes: MAX_CHUNK_RESPONSE_BYTES,
      timeoutMs: init.timeoutMs,
    })
  }

  get config(): AttachmentsConfig {
    return this.#init.config
  }

  /** Loads the records, serves the protocol and resumes every transfer left unfinished. Call after the case book started. */
  async start(): Promise<void> {
    const { records, damaged } = await this.#store.load()
    for (const id of damaged) this.#init.log.error('attachments.damaged', { id })
    for (const record of records) {
      if (record.state === 'uploading') {
        await this.#store.remove(record.id) // its key died with the process
        continue
      }
      this.#records.set(record.id, record)
      if (record.direction === 'received') this.#progress.set(record.id, await this.#presentAtStart(record))
    }
    await this.unsent.start()
    await serveRequests(
      this.#init.host,
      ATTACHMENT_PROTOCOL,
      { decode: decodeChunkRequest, answer: (r, c) => this.#server.answer(r, c) },
      {
        maxRequestBytes: MAX_CHUNK_REQUEST_BYTES,
        timeoutMs: this.#init.timeoutMs,
        maxInboundStreams: MAX_INBOUND_ATTACHMENT_STREAMS,
        maxOutboundStreams: MAX_INBOUND_ATTACHMENT_STREAMS,
        requestsPerStream: Number.POSITIVE_INFINITY,
        ...(this.#init.frameBudget !== undefined && { budget: this.#init.frameBudget }),
        onFailure: (error, connection) => this.#server.refused(connection, `stream ${error.failure}`),
        onStreamRefused: (connection) => this.#server.refused(connection, 'stream-limit'),
      },
    )
    for (const record of this.#records.values())
      if (
        record.direction === 'received' &&
        (record.state === 'fetching' || (record.state === 'complete' && !record.noticeDone))
      )
        this.#startPull(record)
  }

  async stop(): Promise<void> {
    this.#shutdown.abort()
    await this.unsent.stop()
    await Promise.allSettled([...this.#pulls.values()])
    await this.#init.host.unhandle(ATTACHMENT_PROTOCOL).catch(() => {})
    await this.#streams.close()
  }

  // ——— sending ———

  /**
   * Checks the attachments of a message about to go to `to` (each uploaded here, complete and as
   * the message describes it; each under the per-file cap, all under the per-message cap) and binds
   * them to the case and counterpart, so the counterpart may fetch them once the message arrives.
   */
  async prepareOffer(caseId: string, to: string, attachments: readonly Attachment[]): Promise<void> {
    const records = await checkOffer(attachments, this.#records, this.#store, this.#init.config)
    for (const record of records) {
      Object.assign(record, { caseId, counterpart: to, state: 'offered' })
      await this.#store.save(record)
    }
  }

  /** The message carrying these attachments was queued as `messageId`. */
  async offered(messageId: string, attachments: readonly Attachment[]): Promise<void> {
    for (const a of attachments) {
      const record = a.transfer === undefined ? undefined : this.#records.get(a.transfer.id)
      if (record === undefined || record.direction !== 'sent') continue
      record.messageId = messageId
      await this.#store.save(record)
    }
    // the outbox may have given up on it already: a refusal comes back within milliseconds
    const why = this.#undelivered.get(messageId)
    if (why !== undefined) await this.undelivered(messageId, why)
  }

  /** The outbox gave up on `messageId`: its attachments will never be fetched. */
  async undelivered(messageId: string, why: string): Promise<void> {
    this.#undelivered.set(messageId, why)
    if (this.#undelivered.size > MAX_UNDELIVERED_KEPT)
      this.#undelivered.delete(this.#undelivered.keys().next().value!)
    for (const record of this.#records.values()) {
      if (record.direction !== 'sent' || record.messageId !== messageId || record.state === 'complete')
        continue
      record.state = 'failed'
      record.error = `the message carrying it was ${why}`
      await this.#store.save(record)
    }
  }

  // ——— receiving ———

  /**
   * Whether a message from a member may bring these attachments, before it is accepted: each
   * under the per-file cap, all under the per-message cap, and within what is left of the quota
   * (set aside until `expect`, `release` or the next start). A refusal stores nothing.
   */
  admit(messageId: string, attachments: readonly Attachment[]): RejectReason | undefined {
    const { maxFileBytes, maxMessageBytes, quotaBytes } = this.#init.config
    const travelling = attachments.filter((a) => a.transfer !== undefined)
    if (travelling.length === 0) return undefined
    const total = travelling.reduce((sum, a) => sum + a.size, 0)
    if (travelling.some((a) => a.size > maxFileBytes) || total > maxMessageBytes)
      return 'attachment-too-large'
    if (travelling.every((a) => this.#records.has(a.transfer!.id))) return undefined // a repeat
    if (this.usedBytes() + total > quotaBytes) return 'over-quota'
    this.#reserved.set(messageId, total)
    return undefined
  }

  /** A message `admit` let through was not stored after all (its ledger entry failed): its quota is given back. */
  release(messageId: string): void {
    this.#reserved.delete(messageId)
  }

  /** Bytes of the quota in use: received attachments kept, and those being admitted. */
  usedBytes(): number {
    let used = 0
    for (const r of this.#records.values()) if (r.direction === 'received') used += r.size
    for (const bytes of this.#reserved.values()) used += bytes
    return used
  }

  /** A message bringing attachments was accepted and stored: fetch each from its sender. */
  async expect(
    caseId: string,
    from: string,
    messageId: string | undefined,
    attachments: readonly Attachment[],
  ): Promise<void> {
    try {
      for (const a of attachments) {
        const t = a.transfer
        if (t === undefined || this.#records.has(t.id)) continue
        const record: AttachmentRecord = {
          id: t.id,
          direction: 'received',
          name: a.name,
          size: a.size,
          sha256: a.sha256,
          ...(a.mediaType !== undefined && { mediaType: a.mediaType }),
          chunkSize: t.chunkSize,
          chunks: [...t.chunks],
          state: 'fetching',
          caseId,
          counterpart: from,
          ...(messageId !== undefined && { messageId }),
        }
        await this.#store.create(record)
        this.#records.set(t.id, record)
        this.#progress.set(t.id, new Set())
        this.#startPull(record)
      }
    } finally {
      if (messageId !== undefined) this.#reserved.delete(messageId)
    }
  }

  /**
   * At start: received attachments the case book names but this node holds no record of (a crash
   * between storing their message and `expect`) are fetched now.
   */
  async adoptMissing(
    cases: Iterable<{ caseId: string; counterpart: string; named: ReturnType<typeof attachmentsOfCase> }>,
  ): Promise<void> {
    for (const { caseId, counterpart, named } of cases) {
      const missing = named
        .filter((n) => n.direction === 'received' && n.attachment.transfer !== undefined)
        .map((n) => n.attachment)
        .filter((a) => !this.#records.has(a.transfer!.id))
      if (missing.length > 0) await this.expect(caseId, counterpart, undefined, missing)
    }
  }

  /** The chunks a transfer under way left in its received file, each checked where it lies. */
  async #presentAtStart(record: AttachmentRecord): Promise<Set<number>> {
    const key = record.state === 'fetching' ? this.#init.keyOf(record.caseId!, record.id) : undefined
    if (key === undefined) return new Set()
    const file = await this.#store.openReceived(record)
    try {
      return await checkPresent(file, record, Buffer.from(key, 'hex'))
    } finally {
      await file.close()
    }
  }

  #startPull(record: AttachmentRecord): void {
    if (this.#pulls.has(record.id)) return
    const run = this.#pullUntilDone(record)
      .catch((err: unknown) =>
        this.#init.log.error('attachments.pull-failed', { id: record.id, error: String(err) }),
      )
      .finally(() => this.#pulls.delete(record.id))
    this.#pulls.set(record.id, run)
  }

  /** Pulls until the file is whole and checked, then tells the sender; waits and resumes after each failure. */
  async #pullUntilDone(record: AttachmentRecord): Promise<void> {
    const { signal } = this.#shutdown
    let wait = RETRY_FIRST_MS
    while (!signal.aborted) {
      try {
        if (record.state === 'fetching') await this.#fetch(record)
        if (record.state === 'complete' && !record.noticeDone) await this.#notice(record)
        return
      } catch (err) {
        if (signal.aborted) return
        const due = this.#throttle.hit(`retry ${record.id}`)
        if (due !== undefined)
          this.#init.log.warn('attachments.retry', {
            id: record.id,
            from: record.counterpart,
            error: err instanceof ChunkUnavailable ? err.message : String((err as Error).message ?? err),
            failuresSinceStart: due,
          })
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, wait)
          signal.addEventListener('abort', () => {
            clearTimeout(timer)
            resolve(undefined)
          })
        })
        wait = Math.min(wait * 2, RETRY_MAX_MS)
      }
    }
  }

  async #fetch(record: AttachmentRecord): Promise<void> {
    const keyHex = this.#init.keyOf(record.caseId!, record.id)
    if (keyHex === undefined) {
      await this.#fail(record, 'the case holds no message naming its key')
      return
    }
    const key = Buffer.from(keyHex, 'hex')
    const present = this.#progress.get(record.id) ?? new Set<number>()
    this.#progress.set(record.id, present)
    const file = await this.#store.openReceived(record)
    try {
      await this.#pullInto(file, record, key, present)
    } finally {
      await file.close()
    }
  }

  /** Pulls the chunks missing from `file`, then makes it durable, checks it whole and records it. */
  async #pullInto(file: ReceivedFile, record: AttachmentRecord, key: Buffer, present: Set<number>) {
    const whole = new InOrderHash(record, key, file, present)
    await pullMissing(
      {
        file,
        streams: this.#streams,
        targetOf: this.#init.targetOf,
        signal: this.#shutdown.signal,
        onBadChunk: (r, index, why) => {
          this.refusals['bad-chunk'] = (this.refusals['bad-chunk'] ?? 0) + 1
          const due = this.#throttle.hit(`bad-chunk ${r.counterpart}`)
          if (due !== undefined)
            this.#init.log.warn('attachments.bad-chunk', {
              id: r.id,
              from: r.counterpart,
              index,
              why,
              badSinceStart: due,
            })
        },
        whole,
      },
      record,
      key,
      present,
    )
    if (this.#shutdown.signal.aborted) return
    await file.sync()
    const sha256 = await whole.digest()
    if (sha256 !== record.sha256) {
      await this.#fail(record, `the chunks make a file whose SHA-256 is ${sha256}, not ${record.sha256}`)
      return
    }
    await this.#init.ledger.append({
      kind: 'attachment-stored',
      actor: 'node',
      caseId: record.caseId!,
      counterpart: record.counterpart!,
      messageId: record.messageId!,
      detail: {
        attachment: record.id,
        sha256: record.sha256,
        size: record.size,
        chunks: record.chunks.length,
      },
    })
    record.state = 'complete'
    record.completedAt = new Date().toISOString()
    await this.#store.save(record)
    this.#init.log.info('attachments.stored', { id: record.id, caseId: record.caseId, bytes: record.size })
  }

  /** Tells the sender the file is whole here, so it records the delivery. */
  async #notice(record: AttachmentRecord): Promise<void> {
    const { peer, target } = await this.#init.targetOf(record.counterpart!)
    const frame = await this.#streams.request(
      peer,
      target,
      encodeChunkRequest({ id: record.id, done: true }),
      {
        signal: this.#shutdown.signal,
      },
    )
    const answer = decodeChunkResponse(frame)
    if (!('ok' in answer))
      throw new ChunkUnavailable(`${record.counterpart} did not take the completion notice`)
    record.noticeDone = true
    await this.#store.save(record)
  }

  async #fail(record: AttachmentRecord, error: string): Promise<void> {
    record.state = 'failed'
    record.error = error
    await this.#store.save(record)
    this.#init.log.error('attachments.failed', { id: record.id, caseId: record.caseId, error })
  }

  // ——— reading ———

  /** The attachments of a case: each named in its messages, with how far its transfer went. */
  statusOf(caseId: string, named: readonly NamedAttachment[]): AttachmentStatus[] {
    return attachmentStatus(caseId, named, this.#records, this.#progress)
  }

  /** Chunk `index` of attachment `id` of case `caseId`, opened and checked: for `pocnet case fetch`. */
  async plainChunk(caseId: string, id: string, index: number): Promise<Buffer> {
    const record = this.#records.get(id)
    if (record === undefined || record.caseId !== caseId)
      throw new NodeError('ERR_NO_ATTACHMENT', `case ${caseId} has no attachment ${id} held by this node`)
    if (record.direction === 'received' && record.state !== 'complete')
      throw new NodeError(
        'ERR_ATTACHMENT_INCOMPLETE',
        `attachment ${record.name} is ${record.state}, not complete: see \`pocnet case attachments ${caseId}\``,
      )
    const count = chunkCount(record.size, record.chunkSize)
    if (!Number.isSafeInteger(index) || index < 0 || index >= count)
      throw new NodeError(
        'ERR_NO_CHUNK',
        `chunk ${index}: attachment ${record.name} has chunks 0 to ${count - 1}`,
      )
    const key = this.#init.keyOf(caseId, id)
    if (key === undefined)
      throw new NodeError('ERR_NO_ATTACHMENT', `case ${caseId} holds no key for attachment ${id}`)
    const sealed =
      record.direction === 'received'
        ? await this.#store.readReceivedChunk(record, index)
        : await this.#store.readChunk(id, index)
    const plain = openChunk(Buffer.from(key, 'hex'), id, index, count, sealed)
    if (plain === undefined)
      throw new NodeError('ERR_ATTACHMENT_DAMAGED', `chunk ${index} of ${record.name} on disk does not open`)
    return plain
  }
}
