import { LedgerError } from '../errors.ts'
import { Audit } from './audit.ts'
import { KeySequence } from './key-sequence.ts'
import { Failure, printable, type VerifyOptions, type VerifyReport } from './report.ts'
import type { LedgerSource } from './source.ts'
import { Workers } from './workers.ts'

/**
 * One pass of the audit rules over `source`: its header, every checkpoint, then every entry in
 * order. A problem in the source is the report's `problem`; anything else is thrown.
 */
export async function auditSource(source: LedgerSource, options: VerifyOptions): Promise<VerifyReport> {
  let audit: Audit | undefined
  const workers = new Workers(options)
  try {
    try {
      const header = await source.open((sourceBytes) => workers.warm(sourceBytes))
      const keys = new KeySequence(
        options.origin ?? header.origin,
        header.publicKey,
        header.keyRotations ?? [],
        options.keyHistory,
      )
      audit = new Audit(source.kind, header.origin, keys, header.total, options, workers)
      for await (const cp of source.checkpoints()) audit.checkpoint(cp.note, cp.where, cp.storedSize)
      for (const cp of options.checkpoints ?? []) audit.checkpoint(cp.note, cp.where)
      await source.entries(keys.guard(audit.sink(source.blobStatus, source.storedLeaves)))
    } finally {
      await source.close()
    }
    return audit.finish()
  } catch (err) {
    if (!(err instanceof Failure) && !(err instanceof LedgerError)) throw err
    const seq = err instanceof Failure ? err.seq : undefined
    const base: VerifyReport = audit?.report ?? {
      ok: false,
      source: source.kind,
      entries: 0,
      checkpoints: 0,
      threads: 0,
      blobs: { referenced: 0, hashChecked: 0, storedChecked: 0, presenceOnly: 0 },
      cosignatures: [],
    }
    // reasons can quote the source (an unknown entry field's name): never a control character
    const reason = printable(err.message)
    return { ...base, ok: false, problem: seq === undefined ? { reason } : { seq, reason } }
  } finally {
    await workers.close()
  }
}
