import { bytesEqual } from '@pocnet/crypto'
import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { HASH_LENGTH } from './constants.ts'
import { decodeEntry } from './entry.ts'
import { LedgerStateError } from './errors.ts'
import { checkpointKey, META_KEY, nodeKey, PREFIX, TILE_WIDTH } from './layout.ts'
import { MerkleFrontier, rangeNodes } from './merkle.ts'
import {
  afterLastNumberKey,
  decodeMeta,
  encodeMeta,
  entryOfRun,
  LEDGER_FORMAT_VERSION,
  type LedgerDb,
  type LedgerMeta,
  plain,
  readSingleEntries,
  readTile,
  type StoredEntry,
} from './store.ts'
import { tileSingleEntries } from './upgrade-v1.ts'

/** What a ledger keeps in memory, as read from its database when it opens. */
export interface LedgerState {
  /** The tree's frontier: its size and the hashes to append to and to take the root from. */
  frontier: MerkleFrontier
  /** The entries after the last full tile (stored alone, and kept in memory). */
  openTile: StoredEntry[]
  /** The last entry's time (0 when there is none): times never go back. */
  lastTime: number
  latest: SignedCheckpoint | undefined
}

/**
 * Reads the state of the ledger in `db` for Ledger.open: writes the format record of a new
 * database, refuses one made for another origin or key, upgrades a version 1 database
 * (upgrade-v1.ts), and refuses a database whose tree or latest checkpoint does not add up.
 */
export async function readLedgerState(
  db: LedgerDb,
  origin: string,
  publicKey: Uint8Array,
  onUpgrade?: (progress: { tiled: number; total: number }) => void,
): Promise<LedgerState> {
  const metaBytes = await db.get(META_KEY)
  const meta: LedgerMeta = { version: LEDGER_FORMAT_VERSION, origin, publicKey }
  if (metaBytes === undefined) {
    await db.put(META_KEY, encodeMeta(meta), { sync: true })
  } else {
    const stored = decodeMeta(metaBytes)
    if (stored.origin !== origin)
      throw new LedgerStateError(`this ledger's origin is ${stored.origin}, not ${origin}`)
    if (!bytesEqual(stored.publicKey, publicKey))
      throw new LedgerStateError('this ledger was created with a different node key')
    if (stored.version === 1) await db.put(META_KEY, encodeMeta(meta), { sync: true })
  }
  let tiled = (await afterLastNumberKey(db, PREFIX.tile)) * TILE_WIDTH
  const size = Math.max(tiled, await afterLastNumberKey(db, PREFIX.entry))
  // a version 1 database (or one whose upgrade was cut short) holds full tiles' entries alone
  tiled = await tileSingleEntries(db, tiled, size, onUpgrade)
  const openTile = await readSingleEntries(db, tiled, size)
  const nodes = rangeNodes(0, size)
  const leafAt = (index: number): Uint8Array => openTile[index - tiled]!.leafHash
  const hashes = await db.getMany(nodes.filter((n) => n.level > 0).map((n) => nodeKey(n.level, n.index)))
  if (hashes.some((h) => h === undefined || h.length < HASH_LENGTH))
    throw new LedgerStateError(`the stored tree lacks subtree hashes for size ${size}`)
  let next = 0
  // the last frontier node can be a single leaf, which is always in the open tile
  const frontier = new MerkleFrontier(
    size,
    nodes.map((n) => (n.level === 0 ? leafAt(n.index) : plain(hashes[next++]!.subarray(0, HASH_LENGTH)))),
  )
  let lastTime = 0
  if (openTile.length > 0) lastTime = decodeEntry(openTile.at(-1)!.bytes).time
  else if (size > 0)
    lastTime = decodeEntry(entryOfRun(await readTile(db, tiled / TILE_WIDTH - 1), TILE_WIDTH - 1).bytes).time
  let latest: SignedCheckpoint | undefined
  const afterLastCheckpoint = await afterLastNumberKey(db, PREFIX.checkpoint)
  if (afterLastCheckpoint > 0) {
    const note = new TextDecoder().decode(await db.get(checkpointKey(afterLastCheckpoint - 1)))
    latest = verifyCheckpoint(note, publicKey)
    if (latest.size > size)
      throw new LedgerStateError(`the latest checkpoint covers ${latest.size} entries but only ${size} exist`)
  }
  return { frontier, openTile, lastTime, latest }
}
