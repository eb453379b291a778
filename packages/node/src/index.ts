// the client half (no libp2p), then the daemon

export { nodeRoutes } from './api.ts'
export * from './client.ts'
export { ControlApiError, type ControlCall, type Route, startControlServer } from './control/server.ts'
export { type DaemonOptions, PocnetDaemon } from './daemon.ts'
export type { InboundMessage } from './delivery.ts'
export { createLogger, type Logger } from './log.ts'
export type { OutboxItem } from './outbox.ts'
export { type RunOptions, runDaemon } from './run.ts'
