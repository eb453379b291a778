import { bytesEqual } from '@pocnet/crypto'
import { BundleFormatError, BundleRejectedError, NotReconcilableError } from '../errors.ts'
import type { LogPin } from '../proof-check.ts'
import type { AuthorisedKey } from '../verify/key-sequence.ts'
import { type VerifyProgress, verifyLedger } from '../verify.ts'
import { type Mismatch, reconcileTraffic, type TrafficReport } from './match.ts'
import { type BundleOwner, type BundleTraffic, readBundleOwner, readTraffic } from './traffic.ts'

/** What a country's ledger must carry, from the roster: its current key, origin and key history. */
export interface ReconcilePin extends LogPin {
  /** Every key the roster gave the country, in order (as `VerifyOptions.keyHistory`). */
  keyHistory?: AuthorisedKey[]
}

export interface ReconcileOptions {
  /** The pin of a country (from the roster), or undefined to take the bundle's own keys and origin. */
  pin?: (country: string) => ReconcilePin | undefined | Promise<ReconcilePin | undefined>
  /** Worker threads of the verifier (as `verifyLedger`). */
  threads?: number
  onProgress?: (bundle: 'A' | 'B', progress: VerifyProgress) => void
}

/** One of the two ledgers, as verified. */
export interface ReconciledLedger {
  path: string
  country: string
  origin: string
  /** The node's current key (the last of its rotations). */
  publicKey: Uint8Array
  /** Whether the key and origin were pinned (to the roster), or are the bundle's own. */
  pinned: boolean
  entries: number
  root: Uint8Array
  /** Time of its first entry. */
  begins: number
  exportedAt: number
  /** Whether the bundle carries blob bytes (receipts are then checked by signature). */
  blobBytes: boolean
}

export interface ReconcileReport extends TrafficReport {
  /** No mismatch: every message both ledgers can judge matches. */
  ok: boolean
  network: string
  a: ReconciledLedger
  b: ReconciledLedger
  mismatches: Mismatch[]
}

const VERIFY_HINT =
  'check it alone with `pocnet ledger verify --bundle <file>`; ask its country for a new export'

/** Whose ledger each bundle is, refusing a pair that cannot be reconciled. */
async function ownersOf(paths: { A: string; B: string }): Promise<{ A: BundleOwner; B: BundleOwner }> {
  const owner = async (which: 'A' | 'B'): Promise<BundleOwner> => {
    try {
      return await readBundleOwner(paths[which])
    } catch (e) {
      if (!(e instanceof BundleFormatError)) throw e
      throw new BundleRejectedError(which, paths[which], `is not a ledger bundle: ${e.message}`, VERIFY_HINT)
    }
  }
  const A = await owner('A')
  const B = await owner('B')
  if (A.country === B.country)
    throw new NotReconcilableError(
      `both bundles are ${A.country}'s ledger`,
      "give two countries' bundles: each country exports its own (`pocnet ledger export`)",
    )
  if (A.network !== B.network)
    throw new NotReconcilableError(
      `bundle A is of network "${A.network}", bundle B of network "${B.network}"`,
      'give two ledgers of the same network',
    )
  return { A, B }
}

/** Verifies a bundle as `pocnet ledger verify` does, then reads its traffic with `counterpart`. */
async function verifiedTraffic(
  which: 'A' | 'B',
  path: string,
  owner: BundleOwner,
  counterpart: string,
  options: ReconcileOptions,
): Promise<{ traffic: BundleTraffic; pinned: boolean }> {
  const pin = await options.pin?.(owner.country)
  const report = await verifyLedger(path, {
    ...(pin === undefined ? {} : { publicKey: pin.publicKey, origin: pin.origin }),
    ...(pin?.keyHistory === undefined ? {} : { keyHistory: pin.keyHistory }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.onProgress === undefined ? {} : { onProgress: (p) => options.onProgress!(which, p) }),
  })
  if (!report.ok) {
    const seq = report.problem?.seq
    throw new BundleRejectedError(
      which,
      path,
      `fails verification${seq === undefined ? '' : ` at entry ${seq}`}: ${report.problem?.reason ?? 'unknown problem'}`,
      VERIFY_HINT,
      seq,
    )
  }
  const traffic = await readTraffic(path, counterpart)
  // what is reconciled must be what was verified: the file could have been replaced in between
  if (
    traffic.entries !== report.entries ||
    report.root === undefined ||
    !bytesEqual(traffic.root, report.root) ||
    traffic.origin !== report.origin
  )
    throw new BundleRejectedError(which, path, 'changed while it was being verified', 'run the command again')
  return { traffic, pinned: pin !== undefined }
}

function ledgerOf(path: string, traffic: BundleTraffic, pinned: boolean): ReconciledLedger {
  return {
    path,
    country: traffic.country,
    origin: traffic.origin,
    publicKey: traffic.keys.at(-1)!.publicKey,
    pinned,
    entries: traffic.entries,
    root: traffic.root,
    begins: traffic.begins,
    exportedAt: traffic.exportedAt,
    blobBytes: traffic.blobBytes,
  }
}

/**
 * Reconciles two countries' export bundles (docs/ledger.md §11): verifies both first, as
 * `verifyLedger` does and pinned as `options.pin` says, then matches every message one
 * recorded as sent to the other with the other's record of receiving it, by message id,
 * envelope hash and receipt. Throws BundleRejectedError (naming which bundle) or
 * NotReconcilableError before comparing anything.
 */
export async function reconcileBundles(
  pathA: string,
  pathB: string,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const owners = await ownersOf({ A: pathA, B: pathB })
  const a = await verifiedTraffic('A', pathA, owners.A, owners.B.country, options)
  const b = await verifiedTraffic('B', pathB, owners.B, owners.A.country, options)
  const traffic = reconcileTraffic(a.traffic, b.traffic, owners.A.network)
  return {
    ok: traffic.mismatches.length === 0,
    network: owners.A.network,
    a: ledgerOf(pathA, a.traffic, a.pinned),
    b: ledgerOf(pathB, b.traffic, b.pinned),
    ...traffic,
  }
}
