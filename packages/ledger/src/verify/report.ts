import type { NodeIdentity } from '@pocnet/crypto'
import type { SignedCheckpoint } from '../checkpoint.ts'
import type { CosignatureKind, WitnessKeys } from '../cosignature-kind.ts'
import type { AuthorisedKey } from './key-sequence.ts'

/*
 * What a verification is asked (options) and what it answers (the report), and the failure that
 * becomes the report's problem: the contract every source and the audit rules share.
 */

export interface VerifyProgress {
  verified: number
  total: number
  /** True in the in-order second pass that follows a problem found by worker threads. */
  recheck?: boolean
}

/**
 * Cosignatures the latest checkpoint must carry: `min` valid ones of distinct `keys`, the current
 * members' witness keys (each member cosigns under its own log's origin with its roster key, and
 * with the ML-DSA-44 witness key the roster gives it, if any), `minPostQuantum` of them ML-DSA-44.
 */
export interface WitnessRequirement {
  keys: WitnessKeys[]
  min: number
  /** Distinct members whose ML-DSA-44 cosignature on the latest checkpoint must verify (default 0). */
  minPostQuantum?: number
}

/** A cosignature line on a checkpoint, as the report lists it. */
export interface ListedCosignature {
  /** The size of the checkpoint it is on. */
  size: number
  /** The key name on the line (a member cosigns under its log's origin). */
  name: string
  /** When, in POSIX seconds, if the line is shaped as a cosignature. */
  timestamp?: number
  /**
   * Which kind of cosignature: by the key ID for a member's line, else by the line's length
   * (absent when it is neither kind's shape).
   */
  kind?: CosignatureKind
  /**
   * valid: by a current member's key (or one it rotated away from), and verifies; duplicate:
   * valid, but that member has a line on this checkpoint already (counted once); unknown-key: not
   * a member's key, ignored; invalid: a member's key, and it does not verify (the verification fails).
   */
  status: 'valid' | 'duplicate' | 'unknown-key' | 'invalid'
  /** Made by a key the member rotated away from since (WitnessKeys.retired): its history still counts. */
  retiredKey?: true
}

/** What the witness requirement found on the latest checkpoint. */
export interface WitnessSummary {
  required: number
  /** The latest checkpoint's size (absent when there is none). */
  size?: number
  /** Names of the distinct members whose cosignature on it verified. */
  cosigners: string[]
  met: boolean
  /** The largest checkpoint that carries `required` valid cosignatures, if any. */
  largestCosignedSize?: number
  /** When ML-DSA-44 cosignatures were required: how many, and whose verified on the latest checkpoint. */
  postQuantum?: { required: number; cosigners: string[]; met: boolean }
}

export interface VerifyOptions {
  onProgress?: (progress: VerifyProgress) => void
  /**
   * The key the ledger must be signed by now (e.g. from the roster): its current key, the last
   * of its key history. Without it the source's own is used.
   */
  publicKey?: Uint8Array
  /**
   * The keys the roster gave the ledger's country, in order (directory's `keyHistoryOf`): every
   * key of the ledger's history must be one of them, rotated in as the roster says (§7).
   */
  keyHistory?: AuthorisedKey[]
  /**
   * The origin the ledger must carry (e.g. the roster's network and the country): the key alone
   * would also pass a log it signed under another origin. Without it the source's own is used.
   */
  origin?: string
  /**
   * Checkpoints of this log from outside the source that it must agree with, e.g. the one a
   * witness cosigned, from equivocation evidence: each is checked as the source's own are (the
   * log's signature, and the root at its size), so a source that rewrote what a witness saw fails
   * at that size. `where` names it in a failure.
   */
  checkpoints?: ReadonlyArray<{ note: string; where: string }>
  /** Data directory only: the node identity, so blobs can be decrypted and their hashes checked. */
  identity?: NodeIdentity
  /**
   * Worker threads that decode and hash entries side by side (default: one per CPU, at most 8);
   * 0 checks everything on the calling thread. Ledgers under 1,000,000 entries always use 0 (`parallelFrom`).
   */
  threads?: number
  /** Entries per chunk handed to a worker, a power of two (default 4096). For tests and tuning. */
  chunkEntries?: number
  /** Smallest ledger checked with worker threads (default 1,000,000: verify/workers.ts says why). For tests and tuning. */
  parallelFrom?: number
  /**
   * Accept entries after the latest signed checkpoint (reported in `unsignedFrom`). Without it
   * such a tail, or a non-empty ledger with no checkpoint, fails: nothing signed vouches for it.
   */
  allowUnsignedTail?: boolean
  /**
   * The members' witness keys, to list and verify the cosignatures on every checkpoint, and how
   * many of them the latest checkpoint must carry (0: listed and checked, none required). Without
   * it, cosignature lines are listed as unknown keys and nothing is required.
   */
  witnesses?: WitnessRequirement
}

export interface VerifyReport {
  ok: boolean
  source: 'data-dir' | 'bundle'
  origin?: string
  /** The key the latest checkpoints were checked against: compare it with the roster when not pinned. */
  publicKey?: Uint8Array
  /** Keys rotated out, oldest first, when the ledger's key was rotated (docs/ledger.md §5, Key rotation). */
  earlierKeys?: Uint8Array[]
  /** Entries verified (all of them when ok). */
  entries: number
  /** Root of the verified entries. */
  root?: Uint8Array
  /** Distinct checkpoints checked (one per tree size), from the source and `options.checkpoints`. */
  checkpoints: number
  latestCheckpoint?: SignedCheckpoint
  /**
   * The first entry no signed checkpoint covers, when one is not: the signed view ends there
   * (without `allowUnsignedTail` it is then also the problem's entry).
   */
  unsignedFrom?: number
  blobs: {
    /** References from entries to blobs. */
    referenced: number
    /** Blob bytes hashed and found right. */
    hashChecked: number
    /**
     * Blobs whose stored (sealed) bytes match the hash their entry commits to: checked without
     * the key, not decrypted (a data directory verified without the node identity).
     */
    storedChecked: number
    /**
     * Blobs only known to be present: referenced by entries written before entries committed to
     * the stored bytes (data directory without the key), or a bundle's hash list without bytes.
     */
    presenceOnly: number
  }
  /** Worker threads that decoded and hashed entries (0: all on the calling thread). */
  threads: number
  /** Every cosignature line on the checkpoints, by checkpoint size (docs/ledger.md §7). */
  cosignatures: ListedCosignature[]
  /** The witness requirement's result, when one was asked for (`witnesses.min` above 0). */
  witnesses?: WitnessSummary
  /** When not ok: the first bad entry (when the problem is one) and why. */
  problem?: { seq?: number; reason: string }
}

/** A problem found in the source: it ends the audit and becomes the report's `problem`. */
export class Failure extends Error {
  readonly seq: number | undefined
  constructor(reason: string, seq?: number) {
    super(reason)
    this.seq = seq
  }
}

/** `text` with control, line-separator and bidirectional-override characters written as \\u{…}. */
export function printable(text: string): string {
  let shown = ''
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    const hidden =
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x2028 ||
      c === 0x2029 ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    shown += hidden ? `\\u{${c.toString(16)}}` : ch
  }
  return shown
}
