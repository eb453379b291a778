import { spawn } from 'node:child_process'
import type { Logger } from './log.ts'

export const FEED_EVENT_TYPES = [
  'new-request',
  'case-message',
  'deadline-near',
  'deadline-missed',
  'delivery-failed',
  'equivocation',
  // a reachability drill to acknowledge, or a member's refusal of one
  'drill',
  // a person on the duty roster paged about a request (duty/pager.ts)
  'page',
  // an investigator's draft waiting for review
  'draft-submitted',
] as const
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number]

export interface FeedEvent {
  cursor: number
  type: FeedEventType
  /** The case concerned; empty for an event outside any case (an equivocation, an intake draft). */
  caseId: string
  /** ISO 8601 UTC. */
  at: string
  /** One line for a person: no request contents beyond type, countries and status. */
  summary: string
  detail?: Record<string, string | number | boolean | null>
}

/** Who a page is for and how to reach them: for the notification hook only, never kept in the feed. */
export interface Reach {
  person: string | null
  phone?: string
  email?: string
  pager?: string
}

const FEED_CAPACITY = 10_000
const HOOK_TIMEOUT_MS = 15_000

/**
 * What happened lately, for `pocnet inbox --watch` (long polling by cursor) and for the
 * operator's notification hook. In memory: the ledger is the record; the feed is a bell.
 */
export class EventFeed {
  readonly #events: FeedEvent[] = []
  readonly #waiters = new Set<() => void>()
  readonly #listeners = new Set<(event: FeedEvent) => void>()
  #closed = false
  readonly #hook: string | undefined
  readonly #log: Logger
  #cursor = 0

  constructor(opts: { notifyCommand?: string; log: Logger }) {
    this.#hook = opts.notifyCommand
    this.#log = opts.log
  }

  get cursor(): number {
    return this.#cursor
  }

  /** Ends every long poll now (the daemon is stopping); later polls return at once. */
  close(): void {
    this.#closed = true
    for (const wake of this.#waiters) wake()
    this.#waiters.clear()
  }

  /** Adds an event; `reach` goes to the notification hook's JSON only (a person's channels stay off the feed). */
  publish(event: Omit<FeedEvent, 'cursor'>, hookOnly?: { reach: Reach }): FeedEvent {
    const full = { ...event, cursor: ++this.#cursor }
    this.#events.push(full)
    if (this.#events.length > FEED_CAPACITY) this.#events.shift()
    for (const wake of this.#waiters) wake()
    this.#waiters.clear()
    for (const listener of this.#listeners) listener(full)
    if (this.#hook !== undefined) this.#runHook(hookOnly === undefined ? full : { ...full, ...hookOnly })
    return full
  }

  /** Calls `listener` with each event published from now on; returns the unsubscribe. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Long polls waiting for an event now. */
  get waiting(): number {
    return this.#waiters.size
  }

  /**
   * Events after `cursor`; waits up to `waitMs` for the first one when there are none yet, unless
   * `signal` aborts first (the client went away).
   */
  async after(cursor: number, waitMs: number, signal?: AbortSignal): Promise<FeedEvent[]> {
    const pick = () => this.#events.filter((e) => e.cursor > cursor)
    let found = pick()
    if (found.length > 0 || waitMs <= 0) return found
    if (this.#closed || signal?.aborted) return found
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      // a client's long poll must never keep a stopping daemon's process alive
      timer.unref()
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
    found = pick()
    return found
  }

  /** Runs the operator's command with the event as JSON on stdin; failures are logged, never fatal. */
  #runHook(event: FeedEvent & { reach?: Reach }): void {
    const child = spawn('/bin/sh', ['-c', this.#hook!], {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: HOOK_TIMEOUT_MS,
      env: hookEnvironment(process.env),
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 500) stderr += d.toString()
    })
    child.on('error', (err) => this.#log.error('notify.failed', { type: event.type, error: err.message }))
    child.on('close', (code, signal) => {
      if (code !== 0) {
        this.#log.error('notify.failed', { type: event.type, exitCode: code, signal, stderr: stderr.trim() })
      }
    })
    child.stdin.on('error', () => {})
    child.stdin.end(`${JSON.stringify(event)}\n`)
  }
}

/**
 * The notification hook's environment: the daemon's, less pocnet's own settings (a passphrase
 * or token there is for the node, not for whatever the operator's command runs).
 */
export function hookEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('POCNET_')))
}
