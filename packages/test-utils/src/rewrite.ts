import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readKeyFile, toHex } from '@pocnet/crypto'
import { type BundleHeader, decodeEntry, Ledger, type LedgerEntry, readBundle } from '@pocnet/ledger'
import { HarnessError } from './errors.ts'

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

/**
 * What an operator holding the node key can do and the verifier cannot detect (docs/ledger.md §7):
 * rewrite the ledger and re-sign every checkpoint. Rebuilds a bundle's ledger with the node's key,
 * every entry at its original time and with its blobs, but for those `drop` picks, and exports it.
 */
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
  let now = 0
  const ledger = await Ledger.open({ dir, identity, origin: header.origin, clock: () => now })
  try {
    for (const entry of entries) {
      if (options.drop(entry)) continue
      const { seq: _seq, time, blobs: refs, ...event } = entry
      const bytes = refs.map((hash) => {
        const found = blobs.get(toHex(hash))
        if (found === undefined)
          throw new HarnessError(
            'ERR_NO_BLOB_BYTES',
            `${options.bundle} lacks the bytes of blob ${toHex(hash)}: export it with --include-blob-bytes`,
          )
        return found
      })
      now = time
      await ledger.append(event, { blobs: bytes })
    }
    now = header.exportedAt
    await ledger.export(options.out, { includeBlobBytes: true })
  } finally {
    await ledger.close()
    await rm(dir, { recursive: true, force: true })
  }
}
