export { auditDelivery, type DeliveryAudit } from './audit.ts'
export { CLI_BIN, type CliResult, runCli, runCliJson } from './cli.ts'
export { testContact } from './contact.ts'
export {
  health,
  inbox,
  type MessageInput,
  outbox,
  submitMessage,
  submitMessages,
  waitUntilReachable,
} from './control.ts'
export { HarnessError, NodeStartError, NodeStopError, WaitTimeoutError } from './errors.ts'
export { type RecordedEvidence, recordedEvidence } from './evidence.ts'
export {
  ExpositionError,
  type ExpositionFormat,
  type ExpositionSample,
  type MetricFamily,
  parseExposition,
} from './exposition.ts'
export {
  createFederation,
  DEFAULT_TEST_NETWORK,
  type Federation,
  type FederationNode,
  type FederationOptions,
  KEEP_ENV,
  signedGenesis,
  TEST_SCRYPT,
} from './federation.ts'
export { emergencyDisclosureForm, preservationForm } from './forms.ts'
export { ledgerEntries, rewriteLedgerAsFormat1, verifyNodeLedger, withNodeLedger } from './ledger.ts'
export {
  NamespaceNetwork,
  NETNS_PREFIX,
  type NetnsMember,
  netnsUnavailable,
  removeLeftoverNamespaces,
} from './netns.ts'
export { freePort, freePorts, listeningTcpPorts } from './ports.ts'
export {
  DAEMON_MAIN,
  type DaemonProcess,
  type ExitStatus,
  federationLogs,
  killNode,
  logTail,
  type ReadyInfo,
  restartNode,
  type SpawnOptions,
  type StopOptions,
  spawnNode,
  stopNode,
} from './process.ts'
export { type LedgerRewrite, type RewriteOptions, rewriteBundle, rewriteNodeLedger } from './rewrite.ts'
export { flipStoredBlobByte, stripBundleCheckpoints, stripBundleMlDsaCosignatures } from './tamper.ts'
export { DEFAULT_WAIT_TIMEOUT_MS, type WaitOptions, waitFor } from './wait.ts'
