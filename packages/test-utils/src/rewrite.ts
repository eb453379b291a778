import { mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type NodeIdentity, readKeyFile, toHex } from '@pocnet/crypto'
import {
  type BundleHeader,
  checkpointOrigin,
  decodeEntry,
  Ledger,
  type LedgerEntry,
  type LedgerEvent,
  readBundle,
} from '@pocnet/ledger'
import { DATA_DIR } from '@pocnet/node'
import { HarnessError } from './errors.ts'
import type { FederationNode } from './federation.ts'
import { ledgerDir, requireStopped } from './ledger.ts'

/*
 * What an operator holding the node key can do and the verifier alone cannot detect (docs/ledger.md
 * §7): rewrite the ledger and re-sign every checkpoint. Both helpers rebuild a ledger through the
 * ledger's public API with the node's own key, every entry at its original time and with its blobs.
 */

/** One entry to store again: the event, the time it had, and its blobs' bytes (none: hashes kept as they are). */
interface StoredAgain {
  event: LedgerEvent
  time: number
  blobs?: Uint8Array[]
}

/**
 * Appends `entries` in order to `ledger`, whose clock reads `clock.now`: each at its own time, with
 * its blobs stored beside it; `after(size)` runs after each (to re-sign a checkpoint there).
 */
async function storeAgain(
  ledger: Ledger,
  clock: { now: number },
  entries: Iterable<StoredAgain>,
  after?: (size: number) => Promise<void>,
): Promise<void> {
  for (const { event: given, time, blobs } of entries) {
    clock.now = time
    // the ledger commits to the blobs' stored bytes itself: an old commitment would not match
    const { stored: _stored, ...event } = given as LedgerEvent & { stored?: unknown }
    const stored =
      blobs === undefined
        ? await ledger.append(event)
        : await ledger.append({ ...event, blobs: [] }, { blobs })
    if (stored.time !== time)
      throw new HarnessError(
        'ERR_REWRITE',
        `entry ${stored.seq} was stored at ${stored.time}, not at ${time}`,
      )
    await after?.(ledger.size)
  }
}

export interface RewriteOptions {
  /** An export bundle with blob bytes (`ledger export --include-blob-bytes`). */
  bundle: string
  /** Where the rewritten ledger's bundle goes (with blob bytes). */
  out: string
  /** The node's key file and its passphrase: the operator's key, which signs the checkpoints. */
  keyFile: string
  passphrase: string
  /** The entries left out. */
  drop: (entry: LedgerEntry) => boolean
}

/** Rebuilds a bundle's ledger with the node's key, but for the entries `drop` picks, and exports it. */
export async function rewriteBundle(options: RewriteOptions): Promise<void> {
  const identity = await readKeyFile(options.keyFile, options.passphrase)
  let header: BundleHeader | undefined
  const blobs = new Map<string, Uint8Array>()
  const entries: LedgerEntry[] = []
  for await (const batch of readBundle(options.bundle))
    for (const item of batch) {
      if (item.type === 'header') header = item.header
      else if (item.type === 'blob' && item.bytes !== undefined) blobs.set(toHex(item.hash), item.bytes)
      else if (item.type === 'entry') entries.push(decodeEntry(item.bytes))
    }
  if (header === undefined) throw new HarnessError('ERR_NOT_A_BUNDLE', `${options.bundle} has no header`)
  const dir = await mkdtemp(join(tmpdir(), 'pocnet-rewrite-'))
  const clock = { now: 0 }
  const ledger = await Ledger.open({ dir, identity, origin: header.origin, clock: () => clock.now })
  try {
    const kept = entries
      .filter((entry) => !options.drop(entry))
      .map(({ seq: _seq, time, blobs: refs, ...event }) => ({
        event,
        time,
        blobs: refs.map((hash) => {
          const found = blobs.get(toHex(hash))
          if (found === undefined)
            throw new HarnessError(
              'ERR_NO_BLOB_BYTES',
              `${options.bundle} lacks the bytes of blob ${toHex(hash)}: export it with --include-blob-bytes`,
            )
          return found
        }),
      }))
    await storeAgain(ledger, clock, kept)
    clock.now = header.exportedAt
    await ledger.export(options.out, { includeBlobBytes: true })
  } finally {
    await ledger.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** What `rewriteNodeLedger` did. */
export interface LedgerRewrite {
  /** Sequence numbers of the entries `edit` changed. */
  changed: number[]
  /** Entries in the rewritten ledger (as many as before). */
  size: number
  /** Sizes of the re-signed checkpoints: the original ones, and the full size. */
  checkpointSizes: number[]
  /** Where the original ledger was moved to (kept for a failing test's inspection). */
  originalDir: string
}

/**
 * Rewrites a stopped node's ledger in place: `edit` is given each entry and returns a replacement
 * event or undefined to keep it (an entry naming the same blobs gets their bytes stored again); the whole log is appended
 * again into a new ledger under the node's own key (read from its data directory with its
 * passphrase), checkpoints re-signed at the original sizes and at the end, and the new ledger takes
 * the original's place. Every signature in it is valid: only witnesses of the old tree can tell.
 */
export async function rewriteNodeLedger(
  node: FederationNode,
  edit: (entry: LedgerEntry) => LedgerEvent | undefined,
): Promise<LedgerRewrite> {
  requireStopped(node)
  const identity: NodeIdentity = await readKeyFile(join(node.dataDir, DATA_DIR.key), node.passphrase)
  const origin = checkpointOrigin(node.network, node.country)
  const dir = ledgerDir(node)
  const original = await Ledger.open({ dir, identity, origin })
  const entries: StoredAgain[] = []
  const changed: number[] = []
  let checkpointSizes: number[]
  try {
    if (original.keyHistory().length > 1)
      throw new HarnessError('ERR_REWRITE', `${node.country}'s ledger has key rotations: not supported here`)
    for (let seq = 0; seq < original.size; seq++) {
      const entry = await original.get(seq)
      const { seq: _seq, time, ...kept } = entry
      const replacement = edit(entry)
      if (replacement !== undefined) changed.push(seq)
      const event = replacement ?? kept
      const found = await Promise.all(entry.blobs.map((hash) => original.getBlob(hash)))
      // the blobs are stored again when the entry still names them all and every one opens;
      // otherwise their hashes stay in the entry as given
      const sameBlobs =
        (event.blobs ?? []).length === entry.blobs.length &&
        entry.blobs.every((hash, i) => Buffer.from(hash).equals(event.blobs![i]!))
      const blobs = sameBlobs && found.every((b) => b !== undefined) ? found : undefined
      entries.push({ event, time, ...(blobs !== undefined && { blobs }) })
    }
    checkpointSizes = (await original.checkpoints()).map((c) => c.size).filter((s) => s > 0)
  } finally {
    await original.close()
  }

  const rewrittenDir = `${dir}.rewritten`
  const clock = { now: 0 }
  const rewritten = await Ledger.open({ dir: rewrittenDir, identity, origin, clock: () => clock.now })
  try {
    await storeAgain(rewritten, clock, entries, async (size) => {
      if (checkpointSizes.includes(size)) await rewritten.checkpoint()
    })
    await rewritten.checkpoint()
  } finally {
    await rewritten.close()
  }
  const originalDir = `${dir}.original`
  await rename(dir, originalDir)
  await rename(rewrittenDir, dir)
  const sizes = [...new Set([...checkpointSizes, entries.length])].sort((a, b) => a - b)
  return { changed, size: entries.length, checkpointSizes: sizes, originalDir }
}
