import { HASH_LENGTH } from '../constants.ts'
import type { EntryRun } from '../layout.ts'
import { decodeNote } from '../signed-note.ts'
import type { DeclaredRotation } from './key-sequence.ts'
import { Failure, type VerifyReport } from './report.ts'

/*
 * What the audit reads from a ledger, whatever holds it (a data directory, an export bundle): the
 * audit rules see a source only through this interface.
 */

/** What the source says of itself before anything is checked. */
export interface SourceHeader {
  origin: string
  /** The key the ledger was created with. */
  publicKey: Uint8Array
  /** Its key-rotation entries, named before the entries come (checked again when they do). */
  keyRotations?: DeclaredRotation[]
  /** How many entries the source declares or holds: for progress and to choose worker threads. */
  total: number
}

/** A checkpoint note, where it was found (for the report) and, if stored under one, its size. */
export interface SourceCheckpoint {
  note: string
  where: string
  storedSize?: number
}

/**
 * What a source found of a blob: `ok`, its plaintext hashed right; `stored-ok`, its stored
 * bytes match the hash the entry commits to (no key needed); `present`, nothing could be hashed.
 */
export type BlobStatus = 'ok' | 'stored-ok' | 'present' | 'missing' | 'altered'
/** Looks up blob `hash`; `stored` is the hash of its stored bytes, when the entry commits to one. */
export type BlobLookup = (hash: Uint8Array, stored: Uint8Array | undefined) => Promise<BlobStatus>

/**
 * A ledger to audit. The audit calls `open`, reads every checkpoint, then has the entries handed
 * to it in order, asking for blobs as entries refer to them; `close` comes last, whatever happened.
 * Anything wrong with the source's own format is thrown as a Failure (or a LedgerError).
 */
export interface LedgerSource {
  readonly kind: VerifyReport['source']
  /** Whether entries come with their stored leaf hashes (which the audit then compares). */
  readonly storedLeaves: boolean
  /** Opens the source; `warm` is told its size in bytes as soon as it is known (to start workers early). */
  open(warm: (sourceBytes: number) => void): Promise<SourceHeader>
  /** Every checkpoint the source holds; all come before any entry. */
  checkpoints(): AsyncIterable<SourceCheckpoint>
  /**
   * Hands every entry to `sink` in order, awaiting each promise it returns, then awaits
   * `sink.end()`, then checks what follows the entries in the source (a bundle's trailer).
   */
  entries(sink: EntrySink): Promise<void>
  blobStatus: BlobLookup
  close(): Promise<void>
}

/** Where a source hands its entries, in order; a promise means "wait before the next one". */
export interface EntrySink {
  entry(seq: number, bytes: Uint8Array, storedLeaf?: Uint8Array): Promise<void> | undefined
  /** A stored tile (its entries from `seq` on, with their stored leaf hashes). */
  run(seq: number, run: EntryRun): Promise<void> | undefined
  end(): Promise<void>
}

/** A checkpoint note's bytes as the source holds them, decoded strictly (decodeNote); `where` names it. */
export function sourceNote(bytes: Uint8Array, where: string): string {
  try {
    return decodeNote(bytes)
  } catch (err) {
    throw new Failure(`${where}: ${(err as Error).message}`)
  }
}

/** Hands the entries of a run starting at `seq` to `sink.entry`, one by one from its entry `from`. */
export function entriesOfRun(
  sink: EntrySink,
  seq: number,
  run: EntryRun,
  from = 0,
): Promise<void> | undefined {
  for (let i = from; i < run.count; i++) {
    const bytes = run.bytes.subarray(run.bounds[i]!, run.bounds[i + 1]!)
    const at = run.leavesAt + i * HASH_LENGTH
    const leaf = run.leavesAt < 0 ? undefined : run.bytes.subarray(at, at + HASH_LENGTH)
    const pending = sink.entry(seq + i, bytes, leaf)
    if (pending !== undefined) return pending.then(() => entriesOfRun(sink, seq, run, i + 1))
  }
  return undefined
}
