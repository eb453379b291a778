/**
 * `@pocnet/node/client`: what a control-API client needs (configuration, the data directory
 * layout, the control client and its errors, node set-up) without the daemon. The CLI imports
 * this so a `pocnet status` does not load libp2p: only `pocnet start` loads the daemon.
 */
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
export { ROLES, type Role, type UserRecord, UserStore } from './control/users.ts'
export type { ContactFile, Health } from './daemon.ts'
export {
  ConfigError,
  type ConfigProblem,
  ControlSocketError,
  DataDirLockedError,
  DataFileError,
  NodeError,
  PassphraseError,
  UsersFileError,
} from './errors.ts'
export { type InitOptions, type InitResult, initNode } from './init.ts'
export type { LogLevel } from './log.ts'
export { obtainPassphrase } from './passphrase.ts'
