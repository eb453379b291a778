import type { Metrics } from '@libp2p/interface'
import { type PrometheusMetricsComponents, prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client'
import { FIGURES, type Figure } from './figures.ts'
import { LATENCY_FIGURE_NAMES, registerLatencies } from './latency.ts'
import { type MetricSources, type Scrape, ScrapeReader } from './scrape.ts'

/** The names of every `pocnet_` figure the endpoint serves (histograms add `_bucket`, `_sum`, `_count`). */
export const POCNET_FIGURE_NAMES: readonly string[] = [...FIGURES.map((f) => f.name), ...LATENCY_FIGURE_NAMES]

/** The two exposition formats, as prom-client names their content types. */
export const EXPOSITION_FORMATS = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
} as const
export type ExpositionFormat = keyof typeof EXPOSITION_FORMATS

/**
 * The node's metrics registry: libp2p's own metrics and the process's (through
 * @libp2p/prometheus-metrics, handed to createLibp2p), and the node's figures, read from its
 * parts at each scrape (`attach`). Made only when config.json enables the endpoint.
 */
export class NodeMetrics {
  readonly registry = new Registry()
  #reader: ScrapeReader | undefined
  #scrape: Scrape | undefined
  #detach: (() => void) | undefined
  /** Renders one at a time: prom-client changes counter names while it writes OpenMetrics. */
  #rendering: Promise<unknown> = Promise.resolve()

  /**
   * libp2p's metrics for createLibp2p's `metrics`, with prom-client's process figures; the
   * file system figure (`nodejs_fs_usage_bytes`) is that of `dataDir`.
   */
  libp2pMetrics(dataDir: string): (components: PrometheusMetricsComponents) => Metrics {
    return prometheusMetrics({ registry: this.registry, statfsLocation: dataDir })
  }

  /** Serves the node's figures from `sources`, read once per scrape. */
  attach(sources: MetricSources): void {
    this.#reader = new ScrapeReader(sources)
    for (const figure of FIGURES) this.#register(figure, sources)
    this.#detach = registerLatencies(this.registry, sources, () => this.#scrape)
  }

  /** Stops listening to the node's parts. */
  detach(): void {
    this.#detach?.()
    this.#detach = undefined
  }

  #register(figure: Figure, sources: MetricSources): void {
    const current = () => this.#scrape
    const config = {
      name: figure.name,
      help: figure.help,
      labelNames: figure.labelNames ?? [],
      registers: [this.registry],
    }
    const write = (set: (labels: Record<string, string>, value: number) => void) => {
      const scrape = current()
      if (scrape === undefined) return
      const value = figure.read(scrape, sources)
      if (typeof value === 'number') set({}, value)
      else for (const v of value ?? []) set(v.labels, v.value)
    }
    if (figure.type === 'gauge')
      new Gauge({
        ...config,
        collect() {
          this.reset()
          write((labels, value) => this.set(labels, value))
        },
      })
    else
      new Counter({
        ...config,
        collect() {
          this.reset()
          write((labels, value) => this.inc(labels, value))
        },
      })
  }

  /** Every figure now, in `format`. */
  render(format: ExpositionFormat): Promise<string> {
    const run = this.#rendering.then(() => this.#render(format))
    this.#rendering = run.catch(() => {})
    return run
  }

  async #render(format: ExpositionFormat): Promise<string> {
    if (this.#reader !== undefined)
      this.#scrape = await this.#reader.read()
      // typed for the text format, as libp2p's metrics and the figures register there; switched per scrape
    ;(this.registry as Registry<RegistryContentType>).setContentType(EXPOSITION_FORMATS[format])
    // prom-client strips `_total` from counters' names for OpenMetrics and leaves them so: put back
    const names = this.registry.getMetricsAsArray().map((m) => [m, m.name] as const)
    try {
      return await this.registry.metrics()
    } finally {
      for (const [metric, name] of names) (metric as { name: string }).name = name
    }
  }
}
