import { decodeEntry, type LedgerEntry } from './entry.ts'
import { type IndexedField, indexKey, indexValuePrefix, prefixRange, seqOfIndexKey } from './layout.ts'

/** What `Ledger.query` and `Ledger.scan` look for: entries matching every criterion given. */
export interface QueryOptions {
  caseId?: string
  counterpart?: string
  kind?: LedgerEntry['kind']
  /** Entries with time ≥ from (ms since the epoch). */
  from?: number
  /** Entries with time < to. */
  to?: number
  /** Entries with seq ≥ fromSeq: what was appended since a known size. */
  fromSeq?: number
  limit?: number
}

/** What a scan reads from the ledger. */
export interface ScanReads {
  /** The entries stored now: asked again as the scan goes, since appends may commit meanwhile. */
  size(): number
  get(seq: number): Promise<LedgerEntry>
  /** Entry `seq`, known to be below the size, without the checks and the copy of `get`. */
  entryAt(seq: number): Promise<LedgerEntry>
  indexKeys(range: { gte: Uint8Array; lt: Uint8Array }): AsyncIterable<Uint8Array>
  entryBytes(from: number): AsyncIterable<{ seq: number; bytes: Uint8Array }>
}

/**
 * The entries matching every criterion of `q`, in sequence order. The case, counterpart or kind
 * index drives the scan when one is given (in that preference); otherwise the time range is
 * found by binary search, since times never decrease along sequence numbers.
 */
export async function* scanEntries(
  reads: ScanReads,
  q: Omit<QueryOptions, 'limit'>,
): AsyncGenerator<LedgerEntry> {
  const matches = (e: LedgerEntry): boolean =>
    (q.caseId === undefined || e.caseId === q.caseId) &&
    (q.counterpart === undefined || e.counterpart === q.counterpart) &&
    (q.kind === undefined || e.kind === q.kind) &&
    (q.from === undefined || e.time >= q.from) &&
    (q.to === undefined || e.time < q.to) &&
    (q.fromSeq === undefined || e.seq >= q.fromSeq)
  const field: IndexedField | undefined =
    q.caseId !== undefined
      ? 'caseId'
      : q.counterpart !== undefined
        ? 'counterpart'
        : q.kind !== undefined
          ? 'kind'
          : undefined
  if (field !== undefined) {
    const prefix = indexValuePrefix(field, q[field]!)
    const range = prefixRange(prefix)
    // index keys end in the sequence number, and times rise with it: skip what is before `from`
    const fromSeq = Math.max(
      q.fromSeq ?? 0,
      q.from === undefined ? 0 : await firstSeqAtOrAfter(reads, q.from),
    )
    if (fromSeq > 0) range.gte = indexKey(prefix, fromSeq)
    for await (const key of reads.indexKeys(range)) {
      const seq = seqOfIndexKey(key)
      // an append committing while this reads: its entries are past what this scan sees
      if (seq >= reads.size()) break
      const entry = await reads.entryAt(seq)
      if (matches(entry)) yield entry
    }
    return
  }
  const start = Math.max(q.fromSeq ?? 0, q.from === undefined ? 0 : await firstSeqAtOrAfter(reads, q.from))
  for await (const { bytes } of reads.entryBytes(start)) {
    const entry = decodeEntry(bytes)
    if (q.to !== undefined && entry.time >= q.to) break
    yield entry
  }
}

/** The first sequence number whose time is ≥ `time` (the size when there is none). */
async function firstSeqAtOrAfter(reads: ScanReads, time: number): Promise<number> {
  let low = 0
  let high = reads.size()
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    if ((await reads.get(mid)).time < time) low = mid + 1
    else high = mid
  }
  return low
}
