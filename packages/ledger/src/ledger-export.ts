import { writeBundle } from './bundle.ts'
import type { SignedCheckpoint } from './checkpoint.ts'
import type { Ledger } from './ledger.ts'

export interface ExportOptions {
  includeBlobBytes?: boolean
  replace?: boolean
  /**
   * Called with the checkpoint the bundle ends at, before anything is written: a node has its
   * witnesses cosign it there (addCosignatures), so the bundle carries their cosignatures.
   */
  cosign?: (checkpoint: SignedCheckpoint) => Promise<void>
}

/**
 * Writes an export bundle of `ledger` (docs/ledger.md §Export bundle): what `Ledger.export`
 * does, from the ledger's public reads; `clock` stamps it.
 */
export async function exportLedger(
  ledger: Ledger,
  clock: () => number,
  path: string,
  options: ExportOptions,
): Promise<{ entries: number; checkpoint: SignedCheckpoint }> {
  // A bundle ends at a checkpoint signed now, so the auditor's copy is vouched for to its last
  // entry; entries appended meanwhile wait for the next export.
  const signed = await ledger.checkpoint()
  const size = signed.size
  await options.cosign?.(signed)
  const stored = (await ledger.checkpoints()).filter((c) => c.size <= size)
  const checkpoint = stored.find((c) => c.size === size) ?? signed
  const checkpoints = stored.map((c) => c.note)
  const blobs = ledger.blobs()
  const entries = ledger.entryBytes(0, size)
  await writeBundle(
    path,
    {
      origin: ledger.origin,
      publicKey: ledger.keyHistory()[0]!.publicKey,
      keyRotations: await keyRotationEntries(ledger, size),
      size,
      exportedAt: clock(),
      checkpoints,
      blobs: (async function* () {
        for await (const b of blobs) yield options.includeBlobBytes ? b : { hash: b.hash }
      })(),
      entries: (async function* () {
        for await (const e of entries) yield e.bytes
      })(),
    },
    { replace: options.replace ?? true },
  )
  return { entries: size, checkpoint }
}

/** The key-rotation entries below `size`, as stored. */
async function keyRotationEntries(
  ledger: Ledger,
  size: number,
): Promise<Array<{ seq: number; bytes: Uint8Array }>> {
  const rotations = ledger
    .keyHistory()
    .slice(1)
    .filter((k) => k.after < size)
  return Promise.all(rotations.map(async (k) => ({ seq: k.after, bytes: await ledger.getBytes(k.after) })))
}
