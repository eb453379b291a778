import type { Connection } from '@libp2p/interface'
import { chunkCount } from '@pocnet/cases'
import type { RosterState } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import { type Logger, LogThrottle } from '../log.ts'
import type { AttachmentRecord, AttachmentStore } from './store.ts'
import { type ChunkRequest, type ChunkResponse, encodeChunkResponse } from './wire.ts'

export interface ChunkServerInit {
  records: ReadonlyMap<string, AttachmentRecord>
  /** Chunks served at least once, per attachment: the sender's view of a transfer's progress. */
  progress: Map<string, Set<number>>
  store: AttachmentStore
  ledger: Ledger
  getRoster: () => RosterState
  log: Logger
}

/**
 * The sending side of the attachment protocol: a sealed chunk of an attachment this node offered
 * to the asking member, as stored; nothing of one offered to another member or never (`unknown`).
 * A completion notice from that member is recorded once in the ledger (`attachment-delivered`).
 * Every refusal is counted by reason and logged through the throttle.
 */
export class ChunkServer {
  readonly #init: ChunkServerInit
  readonly #throttle = new LogThrottle()
  /** Completion notices being recorded: a repeat waits for the first, so one entry per attachment. */
  readonly #recording = new Map<string, Promise<void>>()
  /** Refused requests and streams, by reason: the "counted" of "refused, counted, logged". */
  readonly refusals: Record<string, number> = {}

  constructor(init: ChunkServerInit) {
    this.#init = init
  }

  refused(connection: Connection, reason: string): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1
    const due = this.#throttle.hit(`refused ${reason}`)
    if (due !== undefined)
      this.#init.log.warn('attachments.refused', {
        peer: connection.remotePeer.toString(),
        reason,
        refusedSinceStart: due,
      })
  }

  async answer(request: ChunkRequest, connection: Connection): Promise<Uint8Array> {
    const answer = (r: ChunkResponse) => encodeChunkResponse(r)
    const country = this.#init.getRoster().memberByPeerId(connection.remotePeer)?.country
    const record = this.#init.records.get(request.id)
    // an attachment offered to another member, or never, is unknown to this one
    if (
      record === undefined ||
      record.direction !== 'sent' ||
      country === undefined ||
      record.counterpart !== country ||
      (record.state !== 'offered' && record.state !== 'complete')
    ) {
      this.refused(connection, 'unknown attachment')
      return answer({ error: 'unknown' })
    }
    if ('done' in request) {
      await this.#delivered(record)
      return answer({ ok: true })
    }
    if (request.index >= chunkCount(record.size, record.chunkSize)) {
      this.refused(connection, 'no such chunk')
      return answer({ error: 'no-chunk' })
    }
    let chunk: Buffer
    try {
      chunk = await this.#init.store.readChunk(record.id, request.index)
    } catch (err) {
      this.#init.log.error('attachments.unreadable', {
        id: record.id,
        index: request.index,
        error: String(err),
      })
      return answer({ error: 'unavailable' })
    }
    const served = this.#init.progress.get(record.id) ?? new Set<number>()
    served.add(request.index)
    this.#init.progress.set(record.id, served)
    return answer({ chunk })
  }

  /** The receiver holds the whole file: recorded once in the ledger. */
  async #delivered(record: AttachmentRecord): Promise<void> {
    const under = this.#recording.get(record.id)
    if (under !== undefined) return under
    if (record.state === 'complete') return
    const work = (async () => {
      await this.#init.ledger.append({
        kind: 'attachment-delivered',
        actor: `country:${record.counterpart}`,
        caseId: record.caseId!,
        counterpart: record.counterpart!,
        ...(record.messageId !== undefined && { messageId: record.messageId }),
        detail: {
          attachment: record.id,
          sha256: record.sha256,
          size: record.size,
          chunks: record.chunks.length,
        },
      })
      record.state = 'complete'
      record.noticeDone = true
      record.completedAt = new Date().toISOString()
      await this.#init.store.save(record)
    })().finally(() => this.#recording.delete(record.id))
    this.#recording.set(record.id, work)
    return work
  }
}
