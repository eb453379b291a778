import { toHex } from '@pocnet/crypto'
import { type BundleHeader, readBundle } from './bundle.ts'
import { parseCheckpoint } from './checkpoint.ts'
import { BundleFormatError, LedgerError } from './errors.ts'
import { foldRange, hashLeaf, inclusionProofPlan, MerkleFrontier } from './merkle.ts'
import type { ProofView } from './proof-check.ts'

/** An inclusion proof made from an export bundle, with the entry and the bundle's header. */
export interface BundleProof {
  proof: ProofView
  /** The entry's exact bytes. */
  entry: Uint8Array
  header: BundleHeader
}

/** The entry asked for is not under any signed checkpoint the bundle carries. */
export class EntryNotCoveredError extends LedgerError {
  readonly hint: string
  constructor(seq: number, signedSize: number, entries: number) {
    super(
      'ERR_NOT_COVERED',
      signedSize === 0
        ? `the bundle carries no signed checkpoint to prove entry ${seq} against`
        : seq >= entries
          ? `the bundle holds entries 0..${entries - 1}, not ${seq}`
          : `entry ${seq} comes after the bundle's latest signed checkpoint (size ${signedSize})`,
    )
    this.hint = 'export the ledger again: an export signs a checkpoint over every entry first'
  }
}

/**
 * The inclusion proof of entry `seq` in an export bundle, against the latest checkpoint it carries
 * (RFC 9162 §2.1.3), worked out offline in one pass over the entries: memory stays O(log n) as
 * the proof's nodes are kept when the tree completes them. The checkpoint is not verified here:
 * `checkProofLocally` does that with the key the log must be signed by.
 */
export async function proveFromBundle(path: string, seq: number): Promise<BundleProof> {
  let header: BundleHeader | undefined
  let checkpoint: { note: string; size: number } | undefined
  let plan: ReturnType<typeof inclusionProofPlan> | undefined
  const wanted = new Map<string, Uint8Array | undefined>()
  const frontier = new MerkleFrontier()
  let entry: Uint8Array | undefined
  const keep = (level: number, index: number, hash: Uint8Array) => {
    const key = `${level}/${index}`
    if (wanted.has(key)) wanted.set(key, hash)
  }
  for await (const batch of readBundle(path)) {
    for (const item of batch) {
      if (item.type === 'header') header = item.header
      else if (item.type === 'checkpoint') {
        const { size } = parseCheckpoint(item.note).checkpoint
        if (size >= (checkpoint?.size ?? 0)) checkpoint = { note: item.note, size }
      } else if (item.type === 'entry') {
        if (plan === undefined) {
          if (checkpoint === undefined || seq >= checkpoint.size)
            throw new EntryNotCoveredError(seq, checkpoint?.size ?? 0, header?.size ?? 0)
          plan = inclusionProofPlan(seq, checkpoint.size)
          for (const node of plan.flat()) wanted.set(`${node.level}/${node.index}`, undefined)
        }
        if (frontier.size === seq) entry = item.bytes
        if (frontier.size < checkpoint!.size) frontier.append(hashLeaf(item.bytes), keep)
      }
    }
  }
  if (header === undefined) throw new BundleFormatError('no header record')
  if (plan === undefined || entry === undefined || frontier.size < checkpoint!.size)
    throw new EntryNotCoveredError(seq, checkpoint?.size ?? 0, frontier.size)
  const proof = plan.map((nodes) => foldRange(nodes.map((n) => wanted.get(`${n.level}/${n.index}`)!)))
  return {
    proof: {
      seq,
      treeSize: checkpoint!.size,
      leafHash: toHex(hashLeaf(entry)),
      proof: proof.map(toHex),
      checkpoint: checkpoint!.note,
    },
    entry,
    header,
  }
}
