import { DEFAULT_MAX_FUTURE_SKEW_MS } from '@pocnet/protocol/constants'

/** libp2p protocol ids of the directory package (private: no public IPFS peer speaks them). */
export const DHT_PROTOCOL = '/pocnet/kad/1.0.0'
export const ROSTER_PROTOCOL = '/pocnet/roster/1.0.0'
export const DIR_FETCH_PROTOCOL = '/pocnet/dir-fetch/1.0.0'

/**
 * DHT keys are `/<namespace>/<country>`; kad-dht picks the validator and selector by the
 * first path segment, so the namespace must be one segment.
 */
export const DIRECTORY_KEY_NAMESPACE = 'pocnet-dir'

/** Format version carried in every roster document body and directory record body. */
export const ROSTER_FORMAT_VERSION = 1
export const RECORD_FORMAT_VERSION = 1

/** A signed directory record, wire bytes. Generous for text fields, small enough for a DHT value. */
export const MAX_RECORD_BYTES = 8 * 1024
/** One signed roster document (genesis of ~90 members with signatures is ~25 KiB). */
export const MAX_ROSTER_DOCUMENT_BYTES = 256 * 1024
/** A whole roster chain as exchanged between nodes or kept in a file. */
export const MAX_ROSTER_CHAIN_BYTES = 4 * 1024 * 1024
export const MAX_ROSTER_CHAIN_LENGTH = 4096
/**
 * A ceremony file (member descriptor, proposal, signature), checked before it is read: the largest,
 * a proposal, holds one roster body (at most a document's bytes) in hex and a few short fields.
 */
export const MAX_CEREMONY_FILE_BYTES = 2 * MAX_ROSTER_DOCUMENT_BYTES + 4096
/** Members of one roster: the 24/7 Network has under a hundred countries. */
export const MAX_ROSTER_MEMBERS = 512
/** A request on the roster or dir-fetch protocol. */
export const MAX_REQUEST_BYTES = 1024

/** Longest text field of a record (unit name, address line, reservation text). */
export const MAX_TEXT_LENGTH = 512
/** Most items in a list field of a record (languages, services, reservations, addresses). */
export const MAX_LIST_LENGTH = 16

/**
 * A record may claim to be issued at most this far in the future: the clock skew between nodes,
 * the same the protocol allows an envelope (declared there once).
 */
export const MAX_CLOCK_SKEW_MS = DEFAULT_MAX_FUTURE_SKEW_MS
/** Longest validity a record may claim; a country re-issues well before it runs out. */
export const MAX_RECORD_VALIDITY_MS = 30 * 24 * 3600 * 1000
/** Default validity of a record this node issues. */
export const DEFAULT_RECORD_VALIDITY_MS = 7 * 24 * 3600 * 1000
/** Re-issue (seq + 1, new expiry) when less than this is left of our record's validity. */
export const REISSUE_BEFORE_EXPIRY_MS = 2 * 24 * 3600 * 1000
/** kad-dht forgets values it received 48 h ago; republish well within that. */
export const DEFAULT_REPUBLISH_INTERVAL_MS = 4 * 3600 * 1000
/** A cached record younger than this is served without asking the network. */
export const DEFAULT_CACHE_FRESH_MS = 10 * 60 * 1000

/** Timeouts of one DHT query and of one request on our own protocols. */
export const DEFAULT_DHT_QUERY_TIMEOUT_MS = 10_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000
/**
 * How long a lookup waits for the country's own node before it asks the DHT: an open connection
 * answers in milliseconds; a node gone silent must not hold every send to its country.
 */
export const DEFAULT_OWN_NODE_TIMEOUT_MS = 2_000
/**
 * The largest kad-dht message read, either way: a PUT_VALUE or GET_VALUE answer carries one record
 * (MAX_RECORD_BYTES) and at most 20 closer peers with their addresses, a few KiB.
 */
export const MAX_DHT_MESSAGE_BYTES = 64 * 1024
/** The most one kad-dht stream may bring in (kad-dht sends one request per stream; a few allowed). */
export const MAX_DHT_STREAM_BYTES = 4 * MAX_DHT_MESSAGE_BYTES
/** Concurrent inbound streams per connection on our own protocols. */
export const MAX_INBOUND_STREAMS = 4
