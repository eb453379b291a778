// the client half (no libp2p), then the daemon

export * from './client.ts'
export { ControlApiError } from './control/errors.ts'
export { nodeRoutes } from './control/handlers/index.ts'
export { type CallContext, type Handler, type Handlers, serveRoutes } from './control/serve.ts'
export { type ControlCall, type Route, startControlServer } from './control/server.ts'
export { type DaemonOptions, PocnetDaemon } from './daemon.ts'
export type { InboundMessage } from './delivery.ts'
export { createLogger, type Logger } from './log.ts'
export { METRICS_PATH, POCNET_FIGURE_NAMES } from './metrics/index.ts'
export type { OutboxItem } from './outbox.ts'
export { type RunOptions, runDaemon } from './run.ts'
export {
  decodeWitnessAnswer,
  encodeWitnessRequest,
  MAX_WITNESS_ANSWER_BYTES,
  WITNESS_PROTOCOL,
  type WitnessAnswer,
} from './witness/wire.ts'
