import type { AbortOptions } from '@libp2p/interface'
import type { VerifiedRecord } from './record.ts'

/** What the Directory's lookups and listing answer with. */

/** Where a lookup found its record. `stale-cache`: nothing fresher answered, the last good record is served. */
export type LookupSource = 'self' | 'cache' | 'dht' | 'peer' | 'stale-cache'

export interface LookupResult extends VerifiedRecord {
  source: LookupSource
  /** When this node obtained the record (ms since epoch). */
  fetchedAt: number
}

export interface PublishResult extends VerifiedRecord {
  /** Peers that acknowledged storing the record (PUT_VALUE responses echoing it). */
  storedBy: number
}

export interface KnownCountry {
  country: string
  /** Roster display name; undefined when the country is no longer a member. */
  name: string | undefined
  member: boolean
  seq: number | undefined
  expiresAt: number | undefined
  fetchedAt: number | undefined
  /** A valid record younger than the cache freshness window is held. */
  fresh: boolean
  /** This node has an open connection to the country's node now. */
  connected: boolean
  /** Last time a connection to the country's node opened, since this node started. */
  lastSeenAt: number | undefined
}

export interface LookupOptions extends AbortOptions {
  /**
   * Network sources to try, both by default: `peer` asks the country's own node first (before the
   * DHT) and the other connected members last. The cache is always consulted.
   */
  sources?: Array<'dht' | 'peer'>
}
