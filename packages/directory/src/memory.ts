import { readFile } from 'node:fs/promises'
import { fromHex, toHex, writeFileAtomic } from '@pocnet/crypto'
import { isCountryCode } from '@pocnet/protocol'
import { MAX_CLOCK_SKEW_MS } from './constants.ts'

/** A record this node has verified, with when it got it. */
export interface CachedRecord {
  bytes: Uint8Array
  fetchedAt: number
}

/** What the directory remembers across restarts: the highest seq per country and the last good records. */
export interface DirectorySnapshot {
  highestSeq: Map<string, number>
  records: Map<string, CachedRecord>
}

/** Where the snapshot lives. The node uses `FileDirectoryStore`; tests may use `MemoryDirectoryStore`. */
export interface DirectoryStore {
  load(): Promise<DirectorySnapshot>
  save(snapshot: DirectorySnapshot): Promise<void>
}

export class MemoryDirectoryStore implements DirectoryStore {
  #saved: DirectorySnapshot = { highestSeq: new Map(), records: new Map() }

  async load(): Promise<DirectorySnapshot> {
    return { highestSeq: new Map(this.#saved.highestSeq), records: new Map(this.#saved.records) }
  }

  async save(snapshot: DirectorySnapshot): Promise<void> {
    this.#saved = { highestSeq: new Map(snapshot.highestSeq), records: new Map(snapshot.records) }
  }
}

interface SnapshotFile {
  format: 'pocnet-directory-state/1'
  highestSeq: Record<string, number>
  records: Record<string, { bytes: string; fetchedAt: number }>
}

/**
 * A JSON file, replaced atomically on every save. Records are kept as the signed bytes (hex) and
 * are verified again against the roster whenever they are used, so the file is not trusted.
 */
export class FileDirectoryStore implements DirectoryStore {
  readonly path: string
  constructor(path: string) {
    this.path = path
  }

  async load(): Promise<DirectorySnapshot> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { highestSeq: new Map(), records: new Map() }
      throw err
    }
    const file = JSON.parse(text) as SnapshotFile
    if (file.format !== 'pocnet-directory-state/1')
      throw new TypeError(`${this.path}: not a pocnet directory state file`)
    const highestSeq = new Map<string, number>()
    for (const [cc, seq] of Object.entries(file.highestSeq)) {
      if (isCountryCode(cc) && Number.isSafeInteger(seq)) highestSeq.set(cc, seq)
    }
    const records = new Map<string, CachedRecord>()
    for (const [cc, r] of Object.entries(file.records)) {
      if (isCountryCode(cc) && Number.isSafeInteger(r.fetchedAt))
        records.set(cc, { bytes: fromHex(r.bytes), fetchedAt: r.fetchedAt })
    }
    return { highestSeq, records }
  }

  async save(snapshot: DirectorySnapshot): Promise<void> {
    const file: SnapshotFile = {
      format: 'pocnet-directory-state/1',
      highestSeq: Object.fromEntries(snapshot.highestSeq),
      records: Object.fromEntries(
        [...snapshot.records].map(([cc, r]) => [cc, { bytes: toHex(r.bytes), fetchedAt: r.fetchedAt }]),
      ),
    }
    await writeFileAtomic(this.path, new TextEncoder().encode(`${JSON.stringify(file, null, 2)}\n`), 0o600)
  }
}

/**
 * The directory's memory, shared by the DHT validator (which refuses a seq lower than the
 * highest seen: kad-dht would otherwise let a replayed old record overwrite a newer one) and
 * the Directory service (its cache). Saves are serialised and coalesced.
 */
export class DirectoryMemory {
  readonly #store: DirectoryStore
  readonly #highestSeq: Map<string, number>
  readonly #records: Map<string, CachedRecord>
  #saving: Promise<void> = Promise.resolve()
  #pending = false
  #saveError: Error | undefined

  private constructor(store: DirectoryStore, snapshot: DirectorySnapshot) {
    this.#store = store
    this.#highestSeq = snapshot.highestSeq
    this.#records = snapshot.records
  }

  static async open(store: DirectoryStore = new MemoryDirectoryStore()): Promise<DirectoryMemory> {
    return new DirectoryMemory(store, await store.load())
  }

  /**
   * The highest seq seen for `country`, or 0 when the remembered one is beyond `now` plus the
   * clock skew: a seq is its record's issue time at most, so no record that passes today's rules
   * set it, and a stolen key's record from before the rule must not lock the country out for ever.
   */
  highestSeq(country: string, now = Date.now()): number {
    const seq = this.#highestSeq.get(country) ?? 0
    return seq > now + MAX_CLOCK_SKEW_MS ? 0 : seq
  }

  /** Records a verified seq; never lowers the remembered value (unless highestSeq disowns it). */
  observeSeq(country: string, seq: number, now = Date.now()): void {
    if (seq > this.highestSeq(country, now)) {
      this.#highestSeq.set(country, seq)
      this.#scheduleSave()
    }
  }

  cached(country: string): CachedRecord | undefined {
    return this.#records.get(country)
  }

  cachedCountries(): string[] {
    return [...this.#records.keys()]
  }

  /** Caches a verified record. */
  cache(country: string, seq: number, record: CachedRecord, now = Date.now()): void {
    this.#records.set(country, record)
    this.observeSeq(country, seq, now)
    this.#scheduleSave()
  }

  /** Waits until everything observed so far is saved; throws the last save failure, if any. */
  async flush(): Promise<void> {
    let saving: Promise<void>
    do {
      saving = this.#saving
      await saving
    } while (saving !== this.#saving)
    const err = this.#saveError
    this.#saveError = undefined
    if (err !== undefined) throw err
  }

  #scheduleSave(): void {
    if (this.#pending) return
    this.#pending = true
    this.#saving = this.#saving.then(async () => {
      this.#pending = false
      try {
        await this.#store.save({ highestSeq: new Map(this.#highestSeq), records: new Map(this.#records) })
      } catch (err) {
        // kept for flush(); the next change saves the whole snapshot again
        this.#saveError = err as Error
      }
    })
  }
}
