/**
 * `@pocnet/node/client`: what a control-API client needs (configuration, the data directory
 * layout, the control API's routes with their request and answer types, the control client and
 * its errors, node set-up) without the daemon. The CLI imports this so a `pocnet status` does
 * not load the daemon: only `pocnet start` does. The control API alone, without configuration
 * and set-up (which load @pocnet/crypto and multiaddr), is `@pocnet/node/control-client`.
 */

export {
  BootstrapAddressError,
  checkedBootstrapAddress,
  memberBootstrapAddress,
  peerIdOfBootstrapAddress,
} from './bootstrap-address.ts'
export {
  CONFIG_FILE,
  defaultConfig,
  frameBudgetOf,
  minCosigners,
  type NodeConfig,
  readConfig,
  validateConfig,
  writeConfig,
} from './config.ts'
export { UserStore } from './control/users.ts'
export * from './control-client.ts'
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
export { readMlDsaWitnessKey } from './ml-dsa-witness-key.ts'
export { obtainPassphrase } from './passphrase.ts'
export { type KeyRotated, retiredKeyFile, rotateNodeKey } from './retired-keys.ts'
export { MAX_EVIDENCE_BYTES } from './witness/wire.ts'
