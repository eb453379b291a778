/**
 * Runs CPU-bound jobs (sealing envelopes) at most `perTurn` to a turn of the event loop. A burst
 * of submissions then no longer seals everything before anything is written: while one group is
 * being sealed, the ledger is already storing (fsync) the group before it and the outbox sending
 * the ones already stored, and the receipts coming back are read in between. A lone job runs at
 * once.
 */
export class SealQueue {
  readonly #perTurn: number
  readonly #jobs: Array<() => void> = []
  #ranThisTurn = 0
  #nextTurnQueued = false

  /** `perTurn`: how many jobs may run before the event loop gets a turn (at least 1). */
  constructor(perTurn: number) {
    if (!Number.isInteger(perTurn) || perTurn < 1)
      throw new RangeError(`SealQueue perTurn must be a whole number ≥ 1, got ${perTurn}`)
    this.#perTurn = perTurn
  }

  /** Queues `job`; resolves with what it returns, or rejects with what it throws. */
  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push(() => {
        try {
          resolve(job())
        } catch (err) {
          reject(err)
        }
      })
      this.#drain()
    })
  }

  #drain(): void {
    while (this.#jobs.length > 0 && this.#ranThisTurn < this.#perTurn) {
      this.#ranThisTurn++
      this.#jobs.shift()!()
    }
    if (this.#ranThisTurn > 0 && !this.#nextTurnQueued) {
      this.#nextTurnQueued = true
      setImmediate(() => {
        this.#nextTurnQueued = false
        this.#ranThisTurn = 0
        this.#drain()
      })
    }
  }
}
