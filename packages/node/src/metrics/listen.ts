import { BlockList, isIP } from 'node:net'
import type { ConfigProblem } from '../errors.ts'

/**
 * The metrics endpoint (`metrics` in config.json): absent, no endpoint and no port. `listen` is
 * `host:port` (`[::1]:9464` for IPv6); a host off the loopback is refused unless
 * `allowNonLoopback` is true, since the figures tell who this node talks to and how busy it is.
 */
export interface MetricsConfig {
  listen: string
  allowNonLoopback?: boolean
}

/** Where the endpoint listens, parsed from `listen`. */
export interface MetricsAddress {
  host: string
  port: number
}

const LISTEN_RULE =
  'must be "host:port" with an IP address or "localhost" and a port 1–65535, e.g. "127.0.0.1:9464"'

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6')

/** Whether `host` (an IP address or `localhost`) is on the loopback. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  const family = isIP(host)
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

/** `listen` parsed, or undefined when it breaks LISTEN_RULE. */
export function parseMetricsListen(listen: string): MetricsAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(listen)
  if (match === null) return undefined
  const host = match[1] ?? match[2]!
  const port = Number(match[3])
  if (port < 1 || port > 65_535) return undefined
  // a bracketed host is IPv6, a bare one IPv4 or localhost: names would be resolved, and could move
  const ok = match[1] !== undefined ? isIP(host) === 6 : host === 'localhost' || isIP(host) === 4
  return ok ? { host, port } : undefined
}

/** What is wrong with a `metrics` section of config.json, field by field. */
export function metricsConfigProblems(raw: unknown): ConfigProblem[] {
  const keys = ['listen', 'allowNonLoopback']
  if (
    typeof raw !== 'object' ||
    raw === null ||
    Array.isArray(raw) ||
    Object.keys(raw).some((k) => !keys.includes(k))
  )
    return [{ path: 'metrics', message: 'must be an object with "listen" and optionally "allowNonLoopback"' }]
  const { listen, allowNonLoopback } = raw as Record<string, unknown>
  const problems: ConfigProblem[] = []
  if (allowNonLoopback !== undefined && typeof allowNonLoopback !== 'boolean')
    problems.push({ path: 'metrics.allowNonLoopback', message: 'must be true or false when present' })
  const address = typeof listen === 'string' ? parseMetricsListen(listen) : undefined
  if (address === undefined) problems.push({ path: 'metrics.listen', message: LISTEN_RULE })
  else if (!isLoopback(address.host) && allowNonLoopback !== true)
    problems.push({
      path: 'metrics.listen',
      message: `${address.host} is not a loopback address: the figures show who this node talks to, so serve them on 127.0.0.1 or ::1 behind your scraper, or set "metrics.allowNonLoopback": true to expose them`,
    })
  return problems
}
