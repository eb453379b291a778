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
export {
  Directory,
  type DirectoryInit,
  type KnownCountry,
  type LookupOptions,
  type LookupResult,
  type LookupSource,
  type PublishResult,
} from './directory.ts'
export { type OfferOutcome, type RosterAdoption, RosterKeeper, type RosterKeeperInit } from './keeper.ts'
export * from './key-history.ts'
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
