import type { Ledger } from '@pocnet/ledger'
import type { CaseBook, CaseFigures } from '../casebook/index.ts'
import type { Health } from '../daemon/health.ts'
import type { DrillsOverview } from '../drills/service.ts'
import type { PagePlace } from '../duty/pager.ts'
import type { Outbox } from '../outbox.ts'

/** The running parts of a node the figures are read from, at each scrape. */
export interface MetricSources {
  /** The node's health, as `pocnet status` shows it: most figures are read from it. */
  health(): Health
  cases: Pick<CaseBook, 'figures'>
  outbox: Pick<Outbox, 'list' | 'on'>
  ledger: Pick<Ledger, 'size' | 'latestCheckpoint' | 'get'>
  /** Members of the roster this node follows now. */
  rosterMembers(): number
  /** Records this node stores for the DHT now. */
  dhtRecords(): Promise<number>
  /** The drills this node sent and received, as `pocnet drills` shows them. */
  drills(): Pick<DrillsOverview, 'countries' | 'received'>
  /** The duty roster now: whether an officer is on duty, and the pages sent by place. */
  duty(): { officerOnDuty: boolean; pages: Record<PagePlace, number> }
  /** The wall clock, ms since the epoch. */
  now?: () => number
}

/** What one scrape reads from the node, once, before every figure is written from it. */
export interface Scrape {
  /** ms since the epoch. */
  now: number
  health: Health
  cases: CaseFigures
  /** Messages in the outbox whose last attempt failed: waiting for a retry. */
  retrying: number
  dhtRecords: number
  drills: Pick<DrillsOverview, 'countries' | 'received'>
  duty: { officerOnDuty: boolean; pages: Record<PagePlace, number> }
  /**
   * Seconds since the newest entry the latest checkpoint covers was written: a checkpoint is cut
   * soon after it, so this is about the checkpoint's age. Before the first checkpoint, since the
   * first entry (so a first checkpoint that never comes shows); 0 while the ledger is empty.
   */
  checkpointAgeSeconds: number
}

/** Reads a scrape from the node's parts. */
export class ScrapeReader {
  readonly #sources: MetricSources
  /** The time of the newest entry the latest checkpoint covers, by checkpoint size: one read per checkpoint. */
  #covered: { size: number; time: number } | undefined

  constructor(sources: MetricSources) {
    this.#sources = sources
  }

  async read(): Promise<Scrape> {
    const s = this.#sources
    const now = (s.now ?? Date.now)()
    // the newest entry covered, or before any checkpoint the first one
    const covered = Math.max(1, s.ledger.latestCheckpoint()?.size ?? 0)
    if (s.ledger.size >= covered && this.#covered?.size !== covered) {
      const entry = await s.ledger.get(covered - 1)
      this.#covered = { size: covered, time: entry.time }
    }
    return {
      now,
      health: s.health(),
      cases: s.cases.figures(),
      retrying: s.outbox.list().filter((item) => item.lastError !== undefined).length,
      dhtRecords: await s.dhtRecords(),
      drills: s.drills(),
      duty: s.duty(),
      checkpointAgeSeconds: this.#covered === undefined ? 0 : Math.max(0, now - this.#covered.time) / 1000,
    }
  }
}
