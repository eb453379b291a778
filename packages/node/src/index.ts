export { nodeRoutes } from './api.ts'
export {
  CONFIG_FILE,
  defaultConfig,
  type NodeConfig,
  readConfig,
  validateConfig,
  writeConfig,
} from './config.ts'
export { DATA_DIR, DELIVERY_PROTOCOL } from './constants.ts'
export {
  ControlCallError,
  ControlClient,
  type ControlErrorBody,
  DaemonUnreachableError,
} from './control/client.ts'
export { ControlApiError, type ControlCall, type Route, startControlServer } from './control/server.ts'
export { ROLES, type Role, type UserRecord, UserStore } from './control/users.ts'
export { type ContactFile, type DaemonOptions, type Health, PocnetDaemon } from './daemon.ts'
export type { InboundMessage } from './delivery.ts'
export { ConfigError, type ConfigProblem, DataDirLockedError, NodeError, PassphraseError } from './errors.ts'
export { type InitOptions, type InitResult, initNode } from './init.ts'
export { createLogger, type Logger, type LogLevel } from './log.ts'
export type { OutboxItem } from './outbox.ts'
export { obtainPassphrase } from './passphrase.ts'
export { type ReqRespLimits, RequestStreams } from './reqresp.ts'
export { type RunOptions, runDaemon } from './run.ts'
