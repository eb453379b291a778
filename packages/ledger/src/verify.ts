import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BundleSource } from './verify/bundle-source.ts'
import type { DataDirSnapshot } from './verify/data-dir-copy.ts'
import { DataDirSource } from './verify/data-dir-source.ts'
import type { VerifyOptions, VerifyProgress, VerifyReport } from './verify/report.ts'
import { auditSource } from './verify/run.ts'

export type {
  ListedCosignature,
  VerifyOptions,
  VerifyProgress,
  VerifyReport,
  WitnessRequirement,
  WitnessSummary,
} from './verify/report.ts'

/*
 * The offline verifier (docs/ledger.md §7). Its parts are in verify/: the audit rules (audit.ts)
 * read a ledger only through the LedgerSource interface (source.ts), which a data directory
 * (data-dir-source.ts, on a copy from data-dir-copy.ts) and an export bundle (bundle-source.ts)
 * implement; worker threads (workers.ts, chunked.ts) share the hashing of large ledgers.
 */

/**
 * Verifies a ledger offline: a data directory (the ledger's own `dir`) or an export bundle file.
 * Never writes to the source: a data directory's LevelDB is copied to a temporary directory and
 * the copy is opened (LevelDB writes on open, and the node may hold its lock).
 */
export async function verifyLedger(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const info = await stat(path)
  if (!info.isDirectory())
    return verifyInTwoPasses((opts) => auditSource(new BundleSource(path), opts), options)
  const copy = await mkdtemp(join(tmpdir(), 'pocnet-ledger-verify-'))
  try {
    // one copy for both passes: a second would cost the whole copy again, and on a running node
    // the in-order pass would check another state of the database than the one that failed
    const snapshot: DataDirSnapshot = { copy }
    return await verifyInTwoPasses(
      (opts) => auditSource(new DataDirSource(path, snapshot, opts.identity), opts),
      options,
    )
  } finally {
    await rm(copy, { recursive: true, force: true })
  }
}

/**
 * Runs `once` with worker threads, and again in order on one thread when it fails. Workers find
 * that something is wrong, not always which entry comes first (a checkpoint may fail on a chunk
 * whose entries are fine); the second pass names the first bad entry exactly as a one-thread
 * check would. Failures are rare, so the cost is paid only then.
 */
async function verifyInTwoPasses(
  once: (options: VerifyOptions) => Promise<VerifyReport>,
  options: VerifyOptions,
): Promise<VerifyReport> {
  if (options.threads === 0) return once(options)
  const report = await once(options)
  // a witness requirement not met is found after every entry passed: there is no entry to name
  if (report.ok || report.witnesses?.met === false) return report
  const onProgress = options.onProgress
  return once({
    ...options,
    threads: 0,
    ...(onProgress !== undefined && {
      onProgress: (p: VerifyProgress) => onProgress({ ...p, recheck: true }),
    }),
  })
}
