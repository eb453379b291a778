/** Delivery of sealed envelopes: one envelope in, one signed receipt out. */
export const DELIVERY_PROTOCOL = '/pocnet/deliver/1.0.0'
/** Attachment chunks, pulled by the receiver from the sender (attachments/): one chunk per request. */
export const ATTACHMENT_PROTOCOL = '/pocnet/attachment/1.0.0'
/** Concurrent inbound delivery streams per connection. */
export const MAX_INBOUND_DELIVERY_STREAMS = 64
/**
 * How long a failed lookup of a sender's directory record is remembered. Meanwhile envelopes from
 * that member are answered `try-later` at once, with no DHT query: without this, each envelope
 * of a member whose record cannot be found cost one lookup, up to the per-peer rate (6000 a minute
 * by default). 30 s: such a member costs at most about two lookups a minute however fast it
 * sends, and as a lookup may take up to 10 s (the DHT query deadline), at most about a third
 * of the time is spent on it; while an honest member whose record is still propagating waits at most
 * 30 s more, less than the sender's outbox backoff reaches (60 s), and not at all once its
 * record reaches this node or the roster changes (either ends the wait early).
 */
export const SENDER_NOT_FOUND_TTL_MS = 30_000
/**
 * Most members remembered as not found at once. The roster bounds them already (one entry per
 * member); the cap keeps the memory fixed whatever happens. Past it, the oldest entry goes.
 */
export const MAX_SENDERS_NOT_FOUND = 256
/**
 * The node's budget for bytes held in frames being read on its protocols, when config.json sets
 * none (`frameBudget`). A member's share holds 16 envelopes of the default 1 MiB cap at once,
 * more than an honest sender has in flight to one node; the total lets four members use their
 * share together. A node at rest is about 160 MiB, so a member spending its whole share costs it
 * about a tenth more, and all of the budget at most about 40 %.
 */
export const DEFAULT_FRAME_BUDGET = {
  totalBytes: 64 * 1024 * 1024,
  perMemberBytes: 16 * 1024 * 1024,
} as const
/**
 * Backpressure on a member holding much in frames being read (read-pause.ts): past `pauseAtShare` of
 * its share its connections are no longer read, until frames of its read whole leave it holding at
 * most `resumeAtShare` of it, or the pause is over: `minMs` at first and after any of its frames was
 * read whole, doubling up to `maxMs` while none is. A quarter of the share (4 MiB by default): what a
 * flood gets read before each pause is what its memory costs (peak RSS 1.28-1.36× idle in
 * hostile-memory.integration.test.ts; 1.41-1.56× pausing at half, 1.48-1.66× at the whole share),
 * while four envelopes of the default 1 MiB cap read at once still pass unpaused (most envelopes
 * are a few KiB). 4 s: an honest burst past it is slowed, its frames still within their 10 s deadline
 * (`delivery.readTimeoutMs`); 16 s: a member whose frames never end is read again only after they
 * reached that deadline.
 */
export const READ_PAUSE = { pauseAtShare: 0.25, resumeAtShare: 0.125, minMs: 4_000, maxMs: 16_000 } as const
/**
 * Established connections one member PeerId may hold with this node at once, both directions
 * together (config `connections.maxPerMember`). Honest nodes hold one, two when both dialled at
 * once, briefly three while a reconnection replaces a dying one: 4 leaves room for that, and bounds
 * what a member can hold open: each connection carries up to MAX_INBOUND_DELIVERY_STREAMS delivery
 * streams and kad-dht's 32.
 */
export const MAX_CONNECTIONS_PER_MEMBER = 4
/**
 * Limits on inbound connections before their handshake ends (connection-guard.ts). A stranger is an
 * address in no member's directory record, bootstrap entry or earlier connection. Strangers together
 * may hold at most `strangers` of the `total` handshakes under way, so members' addresses always have
 * the rest; each address at most `perStrangerAddress` (or `perMemberAddress`); a stranger's handshake
 * is cut after `strangerMs`, a member address's after `memberMs` (a Noise handshake takes a few round
 * trips: well under a second between any two capitals). New connections per address and second:
 * `perAddressPerSecond`, as libp2p's own limit was set before (members reconnect in bursts after an
 * outage; a test network's nodes all share 127.0.0.1).
 */
export const PENDING_HANDSHAKES = {
  total: 128,
  strangers: 64,
  perStrangerAddress: 4,
  perMemberAddress: 32,
  strangerMs: 3_000,
  memberMs: 10_000,
  perAddressPerSecond: 100,
} as const
/** Envelopes the outbox sends at once. */
export const OUTBOX_CONCURRENCY = 32
/**
 * Envelopes the outbox seals before the event loop gets a turn (about 0.5 ms each): a burst is
 * written and sent while the rest is still being sealed.
 */
export const SEALS_PER_TURN = 8
/**
 * How long the outbox's stop waits for an attempt under way before aborting it: long enough for a
 * receipt already on its way, short beside STOP_TIMEOUT_MS.
 */
export const OUTBOX_STOP_GRACE_MS = 2_000
/** How long `stop()` may take before the process exits anyway. */
export const STOP_TIMEOUT_MS = 5_000

/** How often a running node saves its start index (snapshot/): each save folds what was appended since the last. */
export const SNAPSHOT_INTERVAL_MS = 60_000

/** Files and folders inside a node's data directory. */
export const DATA_DIR = {
  config: 'config.json',
  key: 'node.key',
  /** The witness's ML-DSA-44 key (its public key is the member's `mldsa` in the roster), encrypted like node.key. */
  mlDsaWitnessKey: 'witness-mldsa.key',
  /** Keys `pocnet key rotate` took out of service, `<public key hex>.key`, encrypted like node.key. */
  retiredKeys: 'keys/retired',
  roster: 'roster.cbor',
  directoryMemory: 'directory.json',
  contact: 'contact.json',
  ledger: 'ledger',
  /** The witness's state: the latest checkpoint cosigned per member, and equivocation evidence. */
  witness: 'witness',
  users: 'users.json',
  /** The duty roster: shifts, covers and each person's alert channels (never leaves the node). */
  duty: 'duty.json',
  socket: 'control.sock',
  /** Attachments sent and received: per attachment a folder of sealed chunks and its state (attachments/). */
  attachments: 'attachments',
  /** The start index saved at each stop, bound to the ledger size and root it covers (snapshot/). */
  startSnapshot: 'start-snapshot',
} as const
