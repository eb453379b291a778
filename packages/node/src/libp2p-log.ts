import type { ComponentLogger, Logger as Libp2pLogger } from '@libp2p/interface'
import { type Logger, type LogLevel, LogThrottle } from './log.ts'

/** Longest message kept from a library's log line: the rest is cut, a line stays a line. */
const MAX_MESSAGE_CHARS = 500

/**
 * libp2p's logs (and the directory's, which logs through libp2p's logger) in the node's JSON log,
 * so a failed republish or a refused connection is visible without `DEBUG=`. `log.error` of a
 * library is a `warn` (a peer going away is routine on a network); of pocnet's own components
 * (`pocnet:*`) an `error`. `log` and `trace` are `debug`, dropped before they are formatted unless
 * the node logs at debug. Each line is `libp2p.<level>` with the component as `scope`; a format
 * string is written at most once per THROTTLED_LOG_EVERY_MS, with the count so far. Arguments are
 * described, never dumped: bytes by their length, objects by their kind, so no key or message
 * content reaches the log.
 */
export function libp2pLogger(log: Logger, options: { throttle?: LogThrottle } = {}): ComponentLogger {
  const throttle = options.throttle ?? new LogThrottle()
  const write = (level: LogLevel, scope: string, formatter: unknown, args: unknown[]): void => {
    if (!log.enabled(level)) return
    const count = throttle.hit(`${level} ${throttleKey(formatter)}`)
    if (count === undefined) return
    log[level](`libp2p.${level}`, { scope, message: format(formatter, args), occurrences: count })
  }
  const forComponent = (scope: string): Libp2pLogger => {
    const errorLevel: LogLevel = scope.startsWith('pocnet:') ? 'error' : 'warn'
    const logger = (formatter: unknown, ...args: unknown[]) => write('debug', scope, formatter, args)
    logger.error = (formatter: unknown, ...args: unknown[]) => write(errorLevel, scope, formatter, args)
    logger.trace = (formatter: unknown, ...args: unknown[]) => write('debug', scope, formatter, args)
    // libp2p skips building debug-only messages when this is false
    logger.enabled = log.enabled('debug')
    logger.newScope = (name: string) => forComponent(`${scope}:${name}`)
    return logger
  }
  return { forComponent }
}

/**
 * What lines count as the same for the throttle: the format string, not the text (the text names
 * peers, and a line per peer would defeat the throttle), with ids and numbers masked, since some
 * library lines build their text before logging it. Non-members can take a fresh key per try.
 */
function throttleKey(formatter: unknown): string {
  const key = typeof formatter === 'string' ? formatter : describe(formatter)
  return key.slice(0, MAX_MESSAGE_CHARS).replace(/[\w+/=-]{16,}|\d+/g, '#')
}

/** `formatter` with its `%x` directives (the `debug` package's, and libp2p's) replaced by the described arguments. */
export function format(formatter: unknown, args: unknown[]): string {
  const rest = [...args]
  let text =
    typeof formatter === 'string'
      ? formatter.replace(/%([a-zA-Z%])/g, (directive, letter: string) => {
          if (letter === '%') return '%'
          if (rest.length === 0) return directive
          return describe(rest.shift(), letter)
        })
      : describe(formatter)
  for (const extra of rest) text += ` ${describe(extra)}`
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text
}

/** A log-safe rendering of one argument: identifiers and numbers as they are, bytes and objects by their kind. */
function describe(value: unknown, directive = 'o'): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return `${value.name}${typeof code === 'string' ? ` ${code}` : ''}: ${value.message}`
  }
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  if (typeof value === 'string')
    return directive === 'o' || directive === 'O' || directive === 'j' ? `'${value}'` : value
  // peer ids (%p), multiaddrs (%a), CIDs (%c) and datastore keys (%k) say what they are in toString()
  if ('p a c k s'.includes(directive) && typeof value === 'object' && hasOwnToString(value))
    return String(value)
  if (Array.isArray(value)) return `[array of ${value.length}]`
  return `[${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}]`
}

function hasOwnToString(value: object): boolean {
  return (
    typeof (value as { toString?: unknown }).toString === 'function' &&
    value.toString !== Object.prototype.toString
  )
}
