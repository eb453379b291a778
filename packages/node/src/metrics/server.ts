import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { NodeError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { isLoopback, type MetricsAddress, type MetricsConfig, parseMetricsListen } from './listen.ts'
import { EXPOSITION_FORMATS, type ExpositionFormat, type NodeMetrics } from './node-metrics.ts'
import type { MetricSources } from './scrape.ts'

/** The one path the endpoint serves. */
export const METRICS_PATH = '/metrics'

/** The metrics endpoint cannot listen where config.json says. */
export class MetricsListenError extends NodeError {
  constructor(address: MetricsAddress, reason: string) {
    super(
      'ERR_METRICS_LISTEN',
      `metrics.listen ${address.host}:${address.port}: cannot listen (${reason}); choose a free port in config.json, or remove "metrics" to serve none`,
    )
  }
}

/** OpenMetrics when the scraper's Accept names it (as Prometheus does when it prefers it), else the text format. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus'
}

function answer(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/**
 * Serves `GET /metrics` (and HEAD) over plain HTTP; any other path is 404, any other method 405.
 * Reads nothing from the request but its Accept header.
 */
export async function startMetricsServer(init: {
  address: MetricsAddress
  metrics: NodeMetrics
  log: Logger
}): Promise<Server> {
  const { address, metrics, log } = init
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname
    if (path !== METRICS_PATH) return answer(res, 404, `not found: the metrics are at ${METRICS_PATH}\n`)
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(res, 405, `${req.method} not allowed: use GET\n`, { allow: 'GET, HEAD' })
    const format = negotiateFormat(req.headers.accept)
    const text = await metrics.render(format)
    res.writeHead(200, {
      'content-type': EXPOSITION_FORMATS[format],
      'content-length': Buffer.byteLength(text),
    })
    res.end(req.method === 'HEAD' ? undefined : text)
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('metrics.scrape-failed', { error: String((err as Error).message ?? err) })
      if (!res.headersSent) answer(res, 500, 'the figures could not be read; see the node log\n')
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new MetricsListenError(address, err.code ?? err.message)),
    )
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => resolve())
  })
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
  if (isLoopback(address.host)) log.info('metrics.listening', { address: where, path: METRICS_PATH })
  // allowed by metrics.allowNonLoopback: said at every start, as it is an exposure
  else log.warn('metrics.listening-off-loopback', { address: where, path: METRICS_PATH })
  return server
}

/** Attaches the node's parts to `metrics` and serves them where `config.listen` says. */
export async function serveNodeMetrics(init: {
  config: MetricsConfig
  metrics: NodeMetrics
  sources: MetricSources
  log: Logger
}): Promise<Server> {
  const address = parseMetricsListen(init.config.listen)
  // validateConfig refused such a config already: this is for a config made in code
  if (address === undefined)
    throw new MetricsListenError({ host: init.config.listen, port: 0 }, 'not host:port')
  init.metrics.attach(init.sources)
  try {
    return await startMetricsServer({ address, metrics: init.metrics, log: init.log })
  } catch (err) {
    init.metrics.detach()
    throw err
  }
}
