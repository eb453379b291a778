/**
 * Work shared while it runs: a caller asking for a key whose work is under way joins it instead
 * of starting the same again (2,000 sends to one country with a cold cache make one lookup).
 * Each caller may give up on its own signal; the work goes on for the others.
 */
export class InFlight<T> {
  readonly #running = new Map<string, Promise<T>>()
  #started = 0

  /** How many times work was started (not joined) so far. */
  get started(): number {
    return this.#started
  }

  /**
   * The outcome of the work under way for `key`, or of `start()` begun now; undefined when
   * `signal` aborts first. `start` must not reject: its promise is shared by every caller.
   */
  join(key: string, start: () => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted === true) return Promise.resolve(undefined)
    let running = this.#running.get(key)
    if (running === undefined) {
      this.#started++
      running = start().finally(() => this.#running.delete(key))
      this.#running.set(key, running)
    }
    return signal === undefined ? running : untilAborted(running, signal)
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
