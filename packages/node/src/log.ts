/**
 * Structured JSON logs, one object per line on stderr. Fields are ids, hashes, sizes,
 * counts and reason codes: callers never pass message contents, passphrases or keys, and
 * the logger drops any field whose name suggests a secret as a second line of defence.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const SECRET_FIELD = /pass|secret|token|seed|private|plaintext|content|body/i

export type LogFields = Record<string, string | number | boolean | null | undefined>

export interface Logger {
  debug(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  error(event: string, fields?: LogFields): void
  /** Whether records of `level` are written: lets a caller skip building what would be dropped. */
  enabled(level: LogLevel): boolean
  child(component: string): Logger
}

export interface LoggerOptions {
  level?: LogLevel
  write?: (line: string) => void
  component?: string
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = LEVEL_ORDER[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => process.stderr.write(line))
  const component = opts.component ?? 'node'
  const emit = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (LEVEL_ORDER[level] < min) return
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, component, event }
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue
      record[k] = SECRET_FIELD.test(k) ? '[redacted]' : v
    }
    write(`${JSON.stringify(record)}\n`)
  }
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
    enabled: (level) => LEVEL_ORDER[level] >= min,
    child: (c) => createLogger({ ...opts, component: `${component}.${c}` }),
  }
}

/** How often a throttled event is logged at most, per key: a flood is counted, not echoed. */
export const THROTTLED_LOG_EVERY_MS = 10_000

/**
 * Counts occurrences of an event per key (a peer, a reason) and says when a log line is due: at
 * most one per key every `everyMs`, so that a peer repeating what is refused cannot fill the
 * disk with the node's refusals. Every occurrence is counted; the line carries the count.
 */
export class LogThrottle {
  readonly #seen = new Map<string, { count: number; loggedAt: number }>()
  readonly #everyMs: number
  readonly #now: () => number

  constructor(options: { everyMs?: number; now?: () => number } = {}) {
    this.#everyMs = options.everyMs ?? THROTTLED_LOG_EVERY_MS
    this.#now = options.now ?? Date.now
  }

  /** Occurrences of `key` since start. */
  count(key: string): number {
    return this.#seen.get(key)?.count ?? 0
  }

  /** Counts one occurrence of `key`: the count since start when a line is due, else undefined. */
  hit(key: string): number | undefined {
    const seen = this.#seen.get(key) ?? { count: 0, loggedAt: Number.NEGATIVE_INFINITY }
    seen.count++
    this.#seen.set(key, seen)
    const now = this.#now()
    if (now - seen.loggedAt < this.#everyMs) return undefined
    seen.loggedAt = now
    return seen.count
  }
}
