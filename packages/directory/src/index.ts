// everything that works offline, then the network parts

export {
  checkDirectoryValue,
  countryOfKey,
  type DirectoryRules,
  directoryDht,
  directoryDhtOptions,
  directoryKey,
  directorySelector,
  directoryValidator,
  ForeignDhtDataError,
  RECORD_KEY_PREFIX,
  rosterConnectionGater,
} from './dht.ts'
export { Directory, type DirectoryInit } from './directory.ts'
export { type OfferOutcome, type RosterAdoption, RosterKeeper, type RosterKeeperInit } from './keeper.ts'
export * from './key-history.ts'
export type {
  KnownCountry,
  LookupOptions,
  LookupResult,
  LookupSource,
  PublishResult,
} from './lookup-types.ts'
export {
  type CachedRecord,
  DirectoryMemory,
  type DirectorySnapshot,
  type DirectoryStore,
  FileDirectoryStore,
  MemoryDirectoryStore,
} from './memory.ts'
export * from './offline.ts'
export {
  type Rejection,
  type RejectionListener,
  type RejectionProtocol,
  rejectionReason,
} from './rejection.ts'
export { RosterSync, type RosterSyncInit } from './roster-sync.ts'
export { VerifiedRecords } from './verified-records.ts'
