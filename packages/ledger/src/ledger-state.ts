import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { HASH_LENGTH } from './constants.ts'
import { decodeEntry } from './entry.ts'
import { LedgerStateError } from './errors.ts'
import { KEY_ROTATION_KIND, type KeyEpoch, keyEpochs, keyForSize, readKeyRotation } from './key-rotation.ts'
import {
  checkpointKey,
  indexValuePrefix,
  META_KEY,
  nodeKey,
  PREFIX,
  prefixRange,
  seqOfIndexKey,
  TILE_WIDTH,
} from './layout.ts'
import { MerkleFrontier, rangeNodes } from './merkle.ts'
import { decodeNote } from './signed-note.ts'
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
  /** The keys that signed its checkpoints, oldest first; the last one signs from now on. */
  keys: KeyEpoch[]
}

/**
 * Reads the state of the ledger in `db` for Ledger.open: writes the format record of a new
 * database (with `publicKey`, the key it is created with), refuses one made for another origin,
 * reads its key history (key-rotation.ts; Ledger.open decides what a different key means), upgrades a version 1 database
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
    // the format record keeps the key the ledger was created with; rotations are entries
    if (stored.version === 1)
      await db.put(META_KEY, encodeMeta({ ...meta, publicKey: stored.publicKey }), { sync: true })
    meta.publicKey = stored.publicKey
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
  const keys = await readKeyEpochs(db, origin, meta.publicKey, tiled, openTile)
  let latest: SignedCheckpoint | undefined
  const afterLastCheckpoint = await afterLastNumberKey(db, PREFIX.checkpoint)
  if (afterLastCheckpoint > 0) {
    const note = decodeNote((await db.get(checkpointKey(afterLastCheckpoint - 1)))!)
    latest = verifyCheckpoint(note, keyForSize(keys, afterLastCheckpoint - 1))
    if (latest.size > size)
      throw new LedgerStateError(`the latest checkpoint covers ${latest.size} entries but only ${size} exist`)
  }
  return { frontier, openTile, lastTime, latest, keys }
}

/** The key history: the creation key, then each key-rotation entry (docs/ledger.md §5, Key rotation). */
async function readKeyEpochs(
  db: LedgerDb,
  origin: string,
  firstKey: Uint8Array,
  tiled: number,
  openTile: StoredEntry[],
): Promise<KeyEpoch[]> {
  const rotations = (await keyRotationEntries(db, tiled, openTile)).map(({ seq, bytes }) => {
    const entry = decodeEntry(bytes)
    if (entry.kind !== KEY_ROTATION_KIND || entry.seq !== seq)
      throw new LedgerStateError(`the kind index names entry ${seq} as a key rotation, but it is not one`)
    return readKeyRotation(entry, origin)
  })
  return keyEpochs(firstKey, rotations)
}

/**
 * The stored bytes of every entry the kind index names as a key rotation, in order. Entries at
 * or after `tiled` are in `openTile` when given, else read alone from the database.
 */
export async function keyRotationEntries(
  db: LedgerDb,
  tiled: number,
  openTile?: StoredEntry[],
): Promise<Array<{ seq: number; bytes: Uint8Array }>> {
  const out: Array<{ seq: number; bytes: Uint8Array }> = []
  for await (const key of db.keys(prefixRange(indexValuePrefix('kind', KEY_ROTATION_KIND)))) {
    const seq = seqOfIndexKey(key)
    let bytes: Uint8Array | undefined
    if (seq < tiled)
      bytes = entryOfRun(await readTile(db, Math.floor(seq / TILE_WIDTH)), seq % TILE_WIDTH).bytes
    else if (openTile !== undefined) bytes = openTile[seq - tiled]?.bytes
    else bytes = (await readSingleEntries(db, seq, seq + 1))[0]?.bytes
    if (bytes === undefined) throw new LedgerStateError(`the kind index names entry ${seq}, which is missing`)
    out.push({ seq, bytes })
  }
  return out
}
