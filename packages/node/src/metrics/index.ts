export { FIGURES, type Figure, type LabelledValues } from './figures.ts'
export { isLoopback, type MetricsAddress, type MetricsConfig, parseMetricsListen } from './listen.ts'
export {
  EXPOSITION_FORMATS,
  type ExpositionFormat,
  NodeMetrics,
  POCNET_FIGURE_NAMES,
} from './node-metrics.ts'
export type { MetricSources, Scrape } from './scrape.ts'
export {
  METRICS_PATH,
  MetricsListenError,
  negotiateFormat,
  serveNodeMetrics,
  startMetricsServer,
} from './server.ts'
