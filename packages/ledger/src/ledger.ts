import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesEqual, type NodeIdentity, toHex } from '@pocnet/crypto'
import { appendOps } from './append-ops.ts'
import { carryBlobKeys, readBlobKeys } from './blob-keys.ts'
import { BlobStore } from './blob-store.ts'
import { deriveBlobKey } from './blobs.ts'
import { checkOrigin, type SignedCheckpoint } from './checkpoint.ts'
import { CheckpointStore, repairLatestCheckpointFile } from './checkpoint-store.ts'
import { MAX_BATCH_ENTRIES } from './constants.ts'
import { decodeEntry, encodeEntry, type LedgerEntry, type LedgerEvent, validateEvent } from './entry.ts'
import { LedgerClosedError, LedgerStateError, NotFoundError } from './errors.ts'
import { type KeyEpoch, keyRotationEvent } from './key-rotation.ts'
import { type ExportOptions, exportLedger } from './ledger-export.ts'
import type { AppendOptions, CheckpointPolicy, LedgerOptions } from './ledger-options.ts'
import { type LedgerState, readLedgerState } from './ledger-state.ts'
import { consistencyProofPlan, inclusionProofPlan, type MerkleFrontier, rangeNodes } from './merkle.ts'
import { type QueryOptions, scanEntries } from './query.ts'
import { type BatchOp, DB_DIR, type LedgerDb, openLevel } from './store.ts'
import { type SealedBlobs, StoredBlobResolver } from './stored-blobs.ts'
import { StoredTiles } from './stored-tiles.ts'

interface PendingWrite {
  checked: Array<LedgerEvent & { blobs: Uint8Array[] }>
  /** Blobs sealed for this write, stored with it unless an intact copy is stored already. */
  blobs: SealedBlobs
  resolve: (entries: LedgerEntry[]) => void
  reject: (err: unknown) => void
}

/**
 * The append-only log. One writer: every mutation runs through one promise chain, and each
 * append (or appendBatch) is one LevelDB batch, fsync'd, holding the entries, their leaf and
 * completed subtree hashes, their index keys and any blobs.
 */
export class Ledger {
  readonly dir: string
  readonly origin: string
  readonly #db: LedgerDb
  readonly #identity: NodeIdentity
  readonly #blobStore: BlobStore
  /** Every key that signed checkpoints, oldest first; the last is the identity's. */
  #keys: KeyEpoch[]
  readonly #clock: () => number
  readonly #policy: CheckpointPolicy
  #frontier: MerkleFrontier
  /** The entries as stored, in full tiles and the open tile, with their subtree hashes. */
  readonly #tiles: StoredTiles
  #lastTime: number
  readonly #checkpoints: CheckpointStore
  readonly #onCheckpointError: (err: Error) => void
  #queue: Promise<unknown> = Promise.resolve()
  readonly #pending: PendingWrite[] = []
  #flushQueued = false
  #timer: NodeJS.Timeout | undefined
  #closed = false

  private constructor(
    options: LedgerOptions,
    db: LedgerDb,
    { frontier, openTile, lastTime, latest, keys }: LedgerState,
    blobKeys: Uint8Array[],
  ) {
    this.dir = options.dir
    this.origin = options.origin
    this.#db = db
    this.#identity = options.identity
    this.#blobStore = new BlobStore(db, blobKeys)
    this.#keys = keys
    this.#clock = options.clock ?? Date.now
    this.#policy = options.checkpointEvery ?? {}
    this.#onCheckpointError = options.onCheckpointError ?? (() => {})
    this.#frontier = frontier
    this.#tiles = new StoredTiles(db, frontier.size - openTile.length, openTile)
    this.#lastTime = lastTime
    this.#checkpoints = new CheckpointStore(db, options.dir, latest)
    if (this.#policy.ms !== undefined) {
      this.#timer = setInterval(() => {
        if (!this.#closed && this.size > (this.#checkpoints.latest?.size ?? 0))
          this.checkpoint().catch((err: Error) => this.#onCheckpointError(err))
      }, this.#policy.ms)
      this.#timer.unref()
    }
  }

  /**
   * Opens (or creates) the ledger in `options.dir`; refuses one made for another origin, or whose
   * current key is not the identity's unless `options.keyRotation` grants the change.
   */
  static async open(options: LedgerOptions): Promise<Ledger> {
    checkOrigin(options.origin)
    await mkdir(options.dir, { recursive: true, mode: 0o700 })
    const db = openLevel(join(options.dir, DB_DIR), true)
    await db.open()
    let ledger: Ledger | undefined
    try {
      const newKey = options.identity.signingPublicKey
      const state = await readLedgerState(db, options.origin, newKey, options.onUpgrade)
      await repairLatestCheckpointFile(options.dir, state.latest)
      const oldKey = state.keys.at(-1)!.publicKey
      const currentBlobKey = deriveBlobKey(options.identity.secrets.signingSeed)
      if (bytesEqual(oldKey, newKey))
        return new Ledger(options, db, state, await readBlobKeys(db, currentBlobKey))
      const grant = await options.keyRotation?.(oldKey, newKey)
      if (grant === undefined)
        throw new LedgerStateError(
          `this ledger's current key ${toHex(oldKey)} is not this node's key ${toHex(newKey)}, and no roster rotation authorises the change (the ledger was created with a different node key)`,
        )
      const blobKeys = await carryBlobKeys(db, grant.previous, currentBlobKey)
      ledger = new Ledger(options, db, state, blobKeys)
      await ledger.#rotate(oldKey, grant)
      return ledger
    } catch (err) {
      if (ledger !== undefined) await ledger.close()
      else await db.close()
      throw err
    }
  }

  /** Records the hand-over from `oldKey` to the identity's key, then signs a checkpoint with the new key. */
  async #rotate(oldKey: Uint8Array, grant: Parameters<typeof keyRotationEvent>[3]): Promise<void> {
    const [entry] = await this.appendBatch([keyRotationEvent(this.origin, oldKey, this.#identity, grant)])
    this.#keys = [
      ...this.#keys,
      { publicKey: this.#identity.signingPublicKey, after: entry!.seq, rosterVersion: grant.rosterVersion },
    ]
    await this.checkpoint()
  }

  /** The key that signs checkpoints now (the identity's). */
  get publicKey(): Uint8Array {
    return this.#keys.at(-1)!.publicKey
  }

  /** Every key that has signed this ledger's checkpoints, oldest first (docs/ledger.md §5, Key rotation). */
  keyHistory(): readonly KeyEpoch[] {
    return this.#keys
  }

  /**
   * How many earlier node keys' blobs this ledger cannot open: one for each rotation made
   * without the old key at hand (a lost or compromised key). Their entries still verify.
   */
  get keysWithSealedBlobs(): number {
    return Math.max(0, this.#keys.length - this.#blobStore.keys.length)
  }

  /** Number of entries, which is also the tree size and the next sequence number. */
  get size(): number {
    return this.#frontier.size
  }

  /** The latest signed checkpoint, if any was cut, with the cosignatures stored on it. */
  latestCheckpoint(): SignedCheckpoint | undefined {
    return this.#checkpoints.latest
  }

  #check(): void {
    if (this.#closed) throw new LedgerClosedError()
  }

  /** Runs `fn` after every mutation queued before it; refuses new work once closing. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    this.#check()
    const run = this.#queue.then(fn)
    this.#queue = run.catch(() => {})
    return run
  }

  /**
   * Appends one event, fsync'd, and returns the stored entry. `options.blobs` are stored in the
   * same batch, so the entry never exists without them, and their hashes join its `blobs`.
   */
  async append(event: LedgerEvent, options: AppendOptions = {}): Promise<LedgerEntry> {
    const checked = validateEvent(event)
    const sealed = new Map<string, Uint8Array>()
    for (const bytes of options.blobs ?? []) {
      const { hash, sealed: sealedBytes } = this.#blobStore.seal(bytes)
      sealed.set(toHex(hash), sealedBytes)
      checked.blobs = [...checked.blobs, hash]
    }
    const [entry] = await this.#write([validateEvent(checked)], sealed)
    return entry!
  }

  /** Appends events in order as one fsync'd batch: all of them or none. */
  async appendBatch(events: LedgerEvent[]): Promise<LedgerEntry[]> {
    if (events.length > MAX_BATCH_ENTRIES)
      throw new RangeError(`appendBatch takes at most ${MAX_BATCH_ENTRIES} events`)
    if (events.length === 0) return []
    return this.#write(events.map(validateEvent), new Map())
  }

  /**
   * Group commit: a write joins the queue, and the writer takes every write waiting when
   * its turn comes and stores them in ONE fsync'd batch. Each caller still gets its entries
   * only once they are on disk, and each append or appendBatch stays all-or-nothing (it is
   * inside one batch); concurrent writers share the cost of the fsync.
   */
  #write(checked: Array<LedgerEvent & { blobs: Uint8Array[] }>, blobs: SealedBlobs): Promise<LedgerEntry[]> {
    this.#check()
    return new Promise<LedgerEntry[]>((resolve, reject) => {
      this.#pending.push({ checked, blobs, resolve, reject })
      if (!this.#flushQueued) this.#queueFlush()
    })
  }

  /**
   * Queues a flush after the work already queued. Not through #serial: a write accepted before
   * close() began must still be stored (or refused), or its caller would wait for ever.
   */
  #queueFlush(): void {
    this.#flushQueued = true
    const run = this.#queue.then(() => this.#flush())
    this.#queue = run.catch(() => {})
  }

  async #flush(): Promise<void> {
    this.#flushQueued = false
    // whole writes, up to MAX_BATCH_ENTRIES entries in all (one write alone is never over it)
    const group: PendingWrite[] = []
    let entryCount = 0
    while (
      this.#pending.length > 0 &&
      (group.length === 0 || entryCount + this.#pending[0]!.checked.length <= MAX_BATCH_ENTRIES)
    ) {
      const next = this.#pending.shift()!
      group.push(next)
      entryCount += next.checked.length
    }
    if (this.#pending.length > 0 && !this.#flushQueued) this.#queueFlush()
    if (group.length === 0) return
    try {
      await this.#store(group)
    } catch (err) {
      // nothing of the group was stored; every writer in it hears why
      for (const write of group) write.reject(err)
    }
  }

  /** Stores a group of writes in one fsync'd batch, then answers each writer. */
  async #store(group: PendingWrite[]): Promise<void> {
    const before = this.#frontier.size
    const time = Math.max(this.#clock(), this.#lastTime)
    // Encoded first, a write at a time: one the encoder refuses (an entry over the size limit)
    // is refused alone and takes no sequence numbers, and the rest of the group goes on.
    const accepted: Array<{
      write: PendingWrite
      entries: LedgerEntry[]
      encoded: Uint8Array[]
      blobPuts: BatchOp[]
    }> = []
    const storedBlobs = new StoredBlobResolver(this.#db, this.#blobStore.keys)
    // one read for the whole group; should it fail, each write reads its own and fails alone as before
    await storedBlobs
      .prefetch(group.flatMap((write) => write.checked.flatMap((event) => event.blobs)))
      .catch(() => {})
    let next = before
    for (const write of group) {
      try {
        const entries: LedgerEntry[] = []
        const blobPuts: BatchOp[] = []
        const commitments = []
        for (const [i, event] of write.checked.entries()) {
          // each entry commits to its blobs' stored bytes (docs/ledger.md §4), when all are known
          const commitment = await storedBlobs.resolve(event.blobs, write.blobs)
          commitments.push(commitment)
          blobPuts.push(...commitment.puts)
          // the ledger alone says what is stored: a caller's own 'stored' is dropped
          const { stored: _callers, ...fields } = event as typeof event & { stored?: unknown }
          entries.push({
            seq: next + i,
            time,
            ...fields,
            ...(commitment.stored === undefined ? {} : { stored: commitment.stored }),
          })
        }
        accepted.push({ write, entries, encoded: entries.map(encodeEntry), blobPuts })
        for (const commitment of commitments) storedBlobs.accept(commitment)
        next += entries.length
      } catch (err) {
        write.reject(err)
      }
    }
    if (accepted.length === 0) return
    const { ops, frontier, tiled, openTile } = appendOps(
      {
        size: before,
        hashes: this.#frontier.hashes(),
        tiled: this.#tiles.tiled,
        openTile: this.#tiles.openTile,
      },
      accepted,
    )
    try {
      await this.#db.batch(ops, { sync: true })
    } catch (err) {
      for (const { write } of accepted) write.reject(err)
      return
    }
    this.#frontier = frontier
    this.#tiles.advance(tiled, openTile)
    this.#lastTime = time
    const every = this.#policy.entries
    if (every !== undefined && this.size - (this.#checkpoints.latest?.size ?? 0) >= every) {
      await this.#cutCheckpoint().catch((err: Error) => this.#onCheckpointError(err))
    }
    for (const { write, entries } of accepted) write.resolve(entries)
  }

  /** The entry with sequence number `seq`. */
  async get(seq: number): Promise<LedgerEntry> {
    return decodeEntry(await this.getBytes(seq))
  }

  /** The exact stored bytes of entry `seq` (what its leaf hash covers), as a copy of the caller's own. */
  async getBytes(seq: number): Promise<Uint8Array> {
    this.#check()
    this.#checkSize('sequence number', seq, this.size - 1)
    // a copy: the bytes live in a cached tile or in the open tile, which the next append writes out
    return (await this.#tiles.entry(seq)).bytes.slice()
  }

  #checkSize(what: string, n: number, max: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > max)
      throw new NotFoundError(`${what} ${n} is outside 0..${max} (the ledger holds ${this.size} entries)`)
  }

  /** Root hash of the tree of the first `treeSize` entries (default: all). */
  async root(treeSize = this.size): Promise<Uint8Array> {
    this.#check()
    this.#checkSize('tree size', treeSize, this.size)
    if (treeSize === this.size) return this.#frontier.root()
    const [root] = await this.#tiles.hashes([rangeNodes(0, treeSize)])
    return root!
  }

  /** RFC 9162 inclusion proof of entry `seq` in the tree of size `treeSize`. */
  async inclusionProof(seq: number, treeSize = this.size): Promise<Uint8Array[]> {
    this.#check()
    this.#checkSize('tree size', treeSize, this.size)
    this.#checkSize('sequence number', seq, treeSize - 1)
    return this.#tiles.hashes(inclusionProofPlan(seq, treeSize))
  }

  /** RFC 9162 consistency proof from tree size `first` to `second` (0 < first ≤ second). */
  async consistencyProof(first: number, second = this.size): Promise<Uint8Array[]> {
    this.#check()
    this.#checkSize('tree size', second, this.size)
    this.#checkSize('first tree size', first, second)
    if (first === 0) throw new RangeError('a consistency proof needs a first size above 0')
    if (first === second) return []
    return this.#tiles.hashes(consistencyProofPlan(first, second))
  }

  /**
   * Signs a checkpoint of the current tree, stores it (fsync'd) and writes it to the
   * `checkpoint` file. Returns the latest checkpoint unchanged when no entry came since.
   */
  checkpoint(): Promise<SignedCheckpoint> {
    return this.#serial(() => this.#cutCheckpoint())
  }

  async #cutCheckpoint(): Promise<SignedCheckpoint> {
    const size = this.size
    return this.#checkpoints.cut(
      { origin: this.origin, size, root: this.#frontier.root() },
      this.#identity,
      (first) => this.#tiles.hashes(consistencyProofPlan(first, size)),
    )
  }

  /**
   * Stores cosignature/v1 lines (as `signCosignature` returns them; the caller has verified them)
   * on the stored checkpoint of `size`, as extra signature lines of its note (cosigned-note.ts:
   * one per witness, the first kept), in one fsync'd write; the `checkpoint` file follows when it
   * is the latest. Returns how many lines were new. CheckpointNotFoundError when no checkpoint of
   * that size is stored; CheckpointFormatError (and nothing stored) when a line is malformed.
   */
  addCosignatures(size: number, lines: readonly string[]): Promise<number> {
    return this.#serial(() => this.#checkpoints.addCosignatures(size, lines))
  }

  /** Every stored checkpoint (with the cosignatures stored on it), oldest first. */
  async checkpoints(): Promise<SignedCheckpoint[]> {
    this.#check()
    return this.#checkpoints.all(this.#keys)
  }

  /**
   * Entries matching every given criterion, in sequence order. The case, counterpart or kind
   * index drives the scan when one is given (in that preference); otherwise the time range is
   * found by binary search, since times never decrease along sequence numbers.
   */
  async query(q: QueryOptions): Promise<LedgerEntry[]> {
    const limit = q.limit ?? Number.POSITIVE_INFINITY
    const out: LedgerEntry[] = []
    for await (const entry of this.scan(q)) {
      out.push(entry)
      if (out.length >= limit) break
    }
    return out
  }

  /**
   * The entries `query` finds, one at a time: for a caller that need not hold them all at once,
   * such as a start-up that rebuilds its state from the ledger. (`limit` is the caller's to apply.)
   */
  async *scan(q: Omit<QueryOptions, 'limit'>): AsyncGenerator<LedgerEntry> {
    this.#check()
    yield* scanEntries(
      {
        size: () => this.size,
        get: (seq) => this.get(seq),
        entryAt: async (seq) => decodeEntry((await this.#tiles.entry(seq)).bytes),
        indexKeys: (range) => this.#db.keys(range),
        entryBytes: (from) => this.entryBytes(from),
      },
      q,
    )
  }

  /** Stores a blob on its own (fsync'd) and returns its content address, SHA-256 of `bytes`. */
  putBlob(bytes: Uint8Array): Promise<Uint8Array> {
    const { hash, sealed } = this.#blobStore.seal(bytes)
    return this.#serial(() => this.#blobStore.put(hash, sealed))
  }

  /** The blob with this hash, or `undefined` when none is stored; BlobError if it was altered. */
  async getBlob(hash: Uint8Array): Promise<Uint8Array | undefined> {
    this.#check()
    return this.#blobStore.get(hash)
  }

  /** Entry bytes (copies) of sequence numbers from ≤ seq < to, in order (for export and audit). */
  async *entryBytes(from = 0, to = this.size): AsyncGenerator<{ seq: number; bytes: Uint8Array }> {
    this.#check()
    yield* this.#tiles.entryBytes(from, to)
  }

  /** Every stored blob's hash and plaintext (for export); blobs that fail to open are skipped. */
  async *blobs(): AsyncGenerator<{ hash: Uint8Array; bytes: Uint8Array }> {
    this.#check()
    yield* this.#blobStore.all()
  }

  /**
   * Writes an export bundle (docs/ledger.md §Export bundle) of the entries present now, under a
   * checkpoint signed for them if the latest does not cover them all, every checkpoint up to that size and the hashes of the blobs that open and match their address —
   * with their plaintext too when `includeBlobBytes` (the bundle then holds message contents).
   * Returns how many entries it holds and the checkpoint it ends at.
   */
  async export(
    path: string,
    options: ExportOptions = {},
  ): Promise<{ entries: number; checkpoint: SignedCheckpoint }> {
    this.#check()
    return exportLedger(this, this.#clock, path, options)
  }

  /**
   * Waits for pending writes, signs a checkpoint of any entries after the latest (so that a
   * stopped node's ledger verifies to its last entry: docs/ledger.md §5), then closes the database.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    // a flush may queue the next one (a group holds at most MAX_BATCH_ENTRIES): wait for them all
    let queue: Promise<unknown>
    do {
      queue = this.#queue
      await queue
    } while (queue !== this.#queue)
    if (this.size > (this.#checkpoints.latest?.size ?? 0))
      await this.#cutCheckpoint().catch((err: Error) => this.#onCheckpointError(err))
    await this.#db.close()
  }
}
