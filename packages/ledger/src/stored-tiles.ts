import { HASH_LENGTH } from './constants.ts'
import { LedgerStateError } from './errors.ts'
import { type EntryRun, nodeKey, numberOfKey, TILE_WIDTH, tileKey } from './layout.ts'
import { foldRange, type NodeRef } from './merkle.ts'
import { entryOfRun, type LedgerDb, parseTile, plain, readTile, type StoredEntry } from './store.ts'

/** Tiles a ledger keeps parsed for reads (40 KB each for typical entries); tiles never change. */
const TILE_CACHE_SIZE = 16

/**
 * A ledger's entries as stored: full tiles in the database (the recently read ones cached), the
 * open tile in memory, and the completed subtree hashes; reads of entries and of the hashes
 * proofs and roots are made of. The ledger's writer moves it on after each stored batch.
 */
export class StoredTiles {
  readonly #db: LedgerDb
  /** Entries below this are in full tiles; those from it up to the size are in #openTile. */
  #tiled: number
  /** Replaced, never changed in place, so a reader can hold on to the array it saw. */
  #openTile: readonly StoredEntry[]
  readonly #cache = new Map<number, EntryRun>()

  constructor(db: LedgerDb, tiled: number, openTile: readonly StoredEntry[]) {
    this.#db = db
    this.#tiled = tiled
    this.#openTile = openTile
  }

  /** How many entries are in full tiles. */
  get tiled(): number {
    return this.#tiled
  }

  /** The entries after the full tiles. */
  get openTile(): readonly StoredEntry[] {
    return this.#openTile
  }

  /** After a batch is stored: the full tiles now end at `tiled`, and `openTile` follows them. */
  advance(tiled: number, openTile: readonly StoredEntry[]): void {
    this.#tiled = tiled
    this.#openTile = openTile
  }

  /** Entry `seq` (below the size) with its leaf hash: from the open tile, or from its full tile. */
  async entry(seq: number): Promise<StoredEntry> {
    if (seq >= this.#tiled) return this.#openTile[seq - this.#tiled]!
    return entryOfRun(await this.#tile(Math.floor(seq / TILE_WIDTH)), seq % TILE_WIDTH)
  }

  async #tile(tile: number): Promise<EntryRun> {
    const cached = this.#cache.get(tile)
    if (cached !== undefined) {
      // most recently used last
      this.#cache.delete(tile)
      this.#cache.set(tile, cached)
      return cached
    }
    const run = await readTile(this.#db, tile)
    this.#cacheTile(tile, run)
    return run
  }

  #cacheTile(tile: number, run: EntryRun): void {
    if (this.#cache.size >= TILE_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!)
    this.#cache.set(tile, run)
  }

  /** The hash of each range of `plan` (merkle.ts): leaves from the tiles, subtrees as stored. */
  async hashes(plan: NodeRef[][]): Promise<Uint8Array[]> {
    const flat = plan.flat()
    const interior = flat.filter((n) => n.level > 0)
    // leaf hashes of full tiles come from their tile: read, in the same round trip, those not cached
    const tiles = [
      ...new Set(
        flat
          .filter((n) => n.level === 0 && n.index < this.#tiled)
          .map((n) => Math.floor(n.index / TILE_WIDTH))
          .filter((tile) => !this.#cache.has(tile)),
      ),
    ]
    const values = await this.#db.getMany([
      ...interior.map((n) => nodeKey(n.level, n.index)),
      ...tiles.map((tile) => tileKey(tile)),
    ])
    const fetched = new Map<number, EntryRun>()
    tiles.forEach((tile, i) => {
      const value = values[interior.length + i]
      if (value === undefined) throw new LedgerStateError(`tile ${tile} is missing from the database`)
      const run = parseTile(value, tile)
      fetched.set(tile, run)
      this.#cacheTile(tile, run)
    })
    const leafHash = (index: number): Uint8Array => {
      if (index >= this.#tiled) return this.#openTile[index - this.#tiled]!.leafHash
      const tile = Math.floor(index / TILE_WIDTH)
      return entryOfRun((fetched.get(tile) ?? this.#cache.get(tile))!, index % TILE_WIDTH).leafHash
    }
    let nextInterior = 0
    return plan.map((range) =>
      foldRange(
        range.map((n) => {
          if (n.level === 0) return leafHash(n.index)
          const v = values[nextInterior++]
          if (v === undefined || v.length < HASH_LENGTH)
            throw new LedgerStateError('a subtree hash is missing from the database')
          return plain(v.subarray(0, HASH_LENGTH))
        }),
      ),
    )
  }

  /** Entry bytes (copies) of sequence numbers from ≤ seq < to, in order (for export and audit). */
  async *entryBytes(from: number, to: number): AsyncGenerator<{ seq: number; bytes: Uint8Array }> {
    // what is read is what was there at the call: tiles never change, the open tile is replaced
    const tiled = this.#tiled
    const openTile = this.#openTile
    to = Math.min(to, tiled + openTile.length)
    let seq = from
    if (seq < Math.min(to, tiled)) {
      let tile = Math.floor(seq / TILE_WIDTH)
      const range = { gte: tileKey(tile), lt: tileKey(Math.ceil(Math.min(to, tiled) / TILE_WIDTH)) }
      for await (const [key, value] of this.#db.iterator(range)) {
        if (numberOfKey(key) !== tile) throw new LedgerStateError(`tile ${tile} is missing from the database`)
        const run = parseTile(value, tile)
        for (let i = seq % TILE_WIDTH; i < TILE_WIDTH && seq < to; i++, seq++)
          yield { seq, bytes: entryOfRun(run, i).bytes.slice() }
        tile++
      }
      if (seq < Math.min(to, tiled)) throw new LedgerStateError(`tile ${tile} is missing from the database`)
    }
    for (; seq < to; seq++) yield { seq, bytes: openTile[seq - tiled]!.bytes.slice() }
  }
}
