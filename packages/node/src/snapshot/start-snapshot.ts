import { bytesEqual } from '@pocnet/crypto'
import type { Ledger } from '@pocnet/ledger'
import type { Logger } from '../log.ts'
import { readSnapshot, SnapshotFileError, writeSnapshot } from './file.ts'
import { emptyStartIndex, foldFrom, type StartIndex } from './start-index.ts'

export interface StartSnapshotInit {
  ledger: Ledger
  /** The snapshot file (DATA_DIR.startSnapshot). */
  path: string
  /** snapshotKey(the node's signing seed). */
  key: Uint8Array
  log: Logger
}

/** How the last load came by its index: which source, and how many ledger entries it read. */
export interface SnapshotLoad {
  source: 'snapshot' | 'rebuild'
  /** The size the snapshot covered (0 for a rebuild). */
  from: number
  entriesRead: number
}

/**
 * The start index of a node, kept between runs. A start uses the saved snapshot when its root is
 * the ledger's root at its size, and folds on over the entries appended since (none after a clean
 * stop; those of the run a kill ended otherwise); any other snapshot — absent, damaged, another
 * key's, or of a history the ledger does not hold — is dropped for a fold of the whole ledger.
 * The ledger decides: a snapshot only ever saves reading entries it has checked the root of.
 */
export class StartSnapshot {
  readonly #init: StartSnapshotInit
  #index: StartIndex = emptyStartIndex()
  /** The ledger size #index covers. */
  #size = 0
  /** Saves one after the other, so the last asked for is the one left. */
  #saving: Promise<void> = Promise.resolve()
  #timer: ReturnType<typeof setInterval> | undefined
  #lastLoad: SnapshotLoad | undefined

  constructor(init: StartSnapshotInit) {
    this.#init = init
  }

  /** How the last load came by its index; undefined before one. */
  get lastLoad(): SnapshotLoad | undefined {
    return this.#lastLoad
  }

  /** The index of the whole ledger: from the snapshot when it matches, else folded from the first entry. */
  async load(): Promise<StartIndex> {
    const { ledger, path, key, log } = this.#init
    const saved = await readSnapshot(path, key).catch((err: unknown) => {
      if (!(err instanceof SnapshotFileError)) throw err
      log.warn('snapshot.unusable', { error: err.message })
      return undefined
    })
    let matched = false
    this.#index = emptyStartIndex()
    if (saved !== undefined) {
      matched = saved.size <= ledger.size && bytesEqual(await ledger.root(saved.size), saved.root)
      if (matched) this.#index = saved.index
      else
        log.warn('snapshot.mismatch', {
          snapshotSize: saved.size,
          ledgerSize: ledger.size,
          problem:
            saved.size > ledger.size
              ? 'the snapshot is of a longer history than the ledger holds'
              : 'the ledger root at the snapshot size differs',
        })
    }
    const from = matched ? saved!.size : 0
    const entriesRead = await foldFrom(ledger, this.#index, from)
    this.#size = from + entriesRead
    this.#lastLoad = { source: matched ? 'snapshot' : 'rebuild', from, entriesRead }
    log.info('snapshot.loaded', { ...this.#lastLoad, size: this.#size })
    return this.#index
  }

  /**
   * Saves every `intervalMs` while the node runs: each entry is folded once, soon after it is
   * appended, so neither the stop nor the start after a kill has a long run's entries to read.
   */
  saveEvery(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      this.save().catch((err: unknown) =>
        this.#init.log.error('snapshot.save-failed', { error: String(err) }),
      )
    }, intervalMs)
    this.#timer.unref()
  }

  /** Stops the periodic saves and waits for one under way. */
  async stopSaving(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#saving
  }

  /**
   * Folds the entries appended since the last load or save, and writes the snapshot bound to
   * the ledger's size and root. The ledger must be open; the views must not be changed meanwhile
   * for the snapshot to be of the state at that size — which a fold of the ledger always is.
   */
  save(): Promise<void> {
    const run = this.#saving.then(async () => {
      const { ledger, path, key } = this.#init
      this.#size += await foldFrom(ledger, this.#index, this.#size)
      await writeSnapshot(path, key, {
        size: this.#size,
        root: await ledger.root(this.#size),
        index: this.#index,
      })
    })
    this.#saving = run.catch(() => {})
    return run
  }
}
