import { type NodeIdentity, openSecretbox, sealSecretbox } from '@pocnet/crypto'
import { decode, encode } from '@pocnet/protocol/cbor'
import { deriveBlobKey } from './blobs.ts'
import { LedgerStateError } from './errors.ts'
import { PREFIX } from './layout.ts'
import type { LedgerDb } from './store.ts'

/*
 * The blob keys of a ledger's earlier node keys (docs/ledger.md §4): a node key rotation keeps
 * its blobs readable when the old key is at hand, by storing the old blob keys sealed under the
 * new one. Blobs are never re-encrypted; reads try the current key first, then these.
 */

const BLOB_KEYS_KEY = new Uint8Array([PREFIX.meta, ...new TextEncoder().encode('blob-keys')])

/** Earlier blob keys that open under `current`: sealed under another key, they stay unreadable. */
async function earlierBlobKeys(db: LedgerDb, current: Uint8Array): Promise<Uint8Array[]> {
  const bytes = await db.get(BLOB_KEYS_KEY)
  if (bytes === undefined) return []
  const sealed = decode(bytes, { maxBytes: 64 * 1024 })
  if (!Array.isArray(sealed) || !sealed.every((s) => s instanceof Uint8Array))
    throw new LedgerStateError('the record of earlier blob keys must be a list of byte strings')
  return sealed.flatMap((s) => openSecretbox(current, s as Uint8Array) ?? [])
}

/** The blob keys to read with: `current` first, then those of earlier node keys. */
export async function readBlobKeys(db: LedgerDb, current: Uint8Array): Promise<Uint8Array[]> {
  return [current, ...(await earlierBlobKeys(db, current))]
}

/**
 * At a key rotation: seals the blob keys of `previous` (and those it could read) under
 * `current`, fsync'd. Without the previous key its blobs cannot be read any more.
 */
export async function carryBlobKeys(
  db: LedgerDb,
  previous: NodeIdentity | undefined,
  current: Uint8Array,
): Promise<Uint8Array[]> {
  if (previous === undefined) return readBlobKeys(db, current)
  const previousKey = deriveBlobKey(previous.secrets.signingSeed)
  const carried = [previousKey, ...(await earlierBlobKeys(db, previousKey))]
  await db.put(BLOB_KEYS_KEY, encode(carried.map((k) => sealSecretbox(current, k))), { sync: true })
  return [current, ...carried]
}
