import { setTimeout as sleep } from 'node:timers/promises'
import { WaitTimeoutError } from './errors.ts'

/** How long `waitFor` waits when given only a description. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000

export interface WaitOptions {
  /** Failure guard, never a performance bound: how long before giving up. */
  timeoutMs: number
  /** Pause between attempts. */
  intervalMs?: number
  /** What is awaited, for the timeout message. */
  description?: string
}

/**
 * Polls `predicate` until it returns a truthy value, which is returned. A predicate that
 * throws counts as "not yet" (a daemon that is still starting refuses connections); the
 * last error is reported if the deadline passes. A string for `options` is the description,
 * with the default timeout.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  waitOptions: WaitOptions | string,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const options =
    typeof waitOptions === 'string'
      ? { timeoutMs: DEFAULT_WAIT_TIMEOUT_MS, description: waitOptions }
      : waitOptions
  const interval = options.intervalMs ?? 100
  const deadline = Date.now() + options.timeoutMs
  let attempts = 0
  let lastError: unknown
  for (;;) {
    attempts++
    try {
      const value = await predicate()
      if (value) return value as Exclude<T, false | 0 | '' | null | undefined>
      lastError = undefined
    } catch (err) {
      lastError = err
    }
    if (Date.now() + interval > deadline) {
      throw new WaitTimeoutError(options.description ?? 'a condition', options.timeoutMs, attempts, lastError)
    }
    await sleep(interval)
  }
}
