import { createHash } from 'node:crypto'
import { Level } from 'level'
import { WitnessStateError } from '../errors.ts'
import type { EquivocationEvidence } from './evidence.ts'

/*
 * What a witness keeps, in its own LevelDB: per log, the latest checkpoint it cosigned (one key,
 * replaced by one fsync'd put, so a crash leaves the old or the new note, never a mix), and the
 * equivocation evidence it recorded (keyed by a hash of both notes, so a repeat is stored once).
 */

const LATEST_PREFIX = 'latest\u0000'
const EVIDENCE_PREFIX = 'evidence\u0000'

export class WitnessState {
  readonly #db: Level<string, string>

  private constructor(db: Level<string, string>) {
    this.#db = db
  }

  /** Opens (creating if missing) the state in directory `dir`; LevelDB's lock keeps other processes out. */
  static async open(dir: string): Promise<WitnessState> {
    const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    try {
      await db.open()
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string } }
      if (e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED')
        throw new WitnessStateError(`${dir} is held by another process (is a witness already running?)`)
      throw err
    }
    return new WitnessState(db)
  }

  /** Every log's latest cosigned note, by origin. */
  async latestNotes(): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for await (const [key, note] of this.#db.iterator({ gte: LATEST_PREFIX, lt: `${LATEST_PREFIX}\uffff` }))
      out.set(key.slice(LATEST_PREFIX.length), note)
    return out
  }

  /** Replaces `origin`'s latest cosigned note; durable (fsync'd) when the promise resolves. */
  async putLatest(origin: string, note: string): Promise<void> {
    await this.#db.put(LATEST_PREFIX + origin, note, { sync: true })
  }

  /** Stores `evidence` durably; the same pair of notes is stored once. */
  async putEvidence(evidence: EquivocationEvidence): Promise<void> {
    const id = createHash('sha256')
      .update(evidence.heldNote)
      .update('\u0000')
      .update(evidence.conflictingNote)
      .digest('hex')
    await this.#db.put(`${EVIDENCE_PREFIX}${evidence.origin}\u0000${id}`, JSON.stringify(evidence), {
      sync: true,
    })
  }

  async evidence(): Promise<EquivocationEvidence[]> {
    const out: EquivocationEvidence[] = []
    for await (const value of this.#db.values({ gte: EVIDENCE_PREFIX, lt: `${EVIDENCE_PREFIX}\uffff` }))
      out.push(JSON.parse(value) as EquivocationEvidence)
    return out
  }

  close(): Promise<void> {
    return this.#db.close()
  }
}
