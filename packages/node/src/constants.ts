/** Delivery of sealed envelopes: one envelope in, one signed receipt out. */
export const DELIVERY_PROTOCOL = '/pocnet/deliver/1.0.0'
/** Concurrent inbound delivery streams per connection. */
export const MAX_INBOUND_DELIVERY_STREAMS = 64
/** Envelopes the outbox sends at once. */
export const OUTBOX_CONCURRENCY = 32
/** How long `stop()` may take before the process exits anyway. */
export const STOP_TIMEOUT_MS = 5_000

/** Files and folders inside a node's data directory. */
export const DATA_DIR = {
  config: 'config.json',
  key: 'node.key',
  roster: 'roster.cbor',
  directoryMemory: 'directory.json',
  contact: 'contact.json',
  ledger: 'ledger',
  users: 'users.json',
  socket: 'control.sock',
} as const
