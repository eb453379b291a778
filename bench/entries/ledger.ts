/**
 * Ledger benchmarks: appends (single fsync'd, batched) against raw LevelDB writes of the same
 * entry bytes; offline verification against raw SHA-256 over the same entries; proof generation
 * at growing tree sizes against a raw LevelDB random read on the same database.
 */
import { createHash, hash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { encodeEntry, Ledger, type LedgerEvent, type VerifyOptions, verifyLedger } from '@pocnet/ledger'
import { Level } from 'level'
import {
  type BenchEntry,
  type BenchResult,
  measureRate,
  measureRatePair,
  median,
  spreadOf,
} from '../harness.ts'

const ORIGIN = 'pocnet.invalid/bench/FR'
const BATCH = 1000

function event(i: number): LedgerEvent {
  return {
    kind: 'message-received',
    actor: 'country:DE',
    caseId: `FR-2026-${i % 997}`,
    counterpart: 'DE',
    messageId: `msg-${i}`,
    detail: { state: 'received', bytes: 2048 + (i % 512) },
  }
}

/** The stored bytes of an entry like those above, for the raw baselines. */
function entryBytes(seq: number): Uint8Array {
  return encodeEntry({ seq, time: Date.now(), ...event(seq), blobs: [] })
}

function rawKey(i: number): Uint8Array {
  const key = new Uint8Array(9)
  key[0] = 0x65
  new DataView(key.buffer).setBigUint64(1, BigInt(i))
  return key
}

/**
 * A raw batch of BATCH entries with the ledger's LevelDB operations per entry: the entry bytes, one
 * subtree hash and three index keys (the tiles and hashing left out), to show what the count costs.
 */
function sameOpsBatch(from: number, sample: Uint8Array) {
  const hash = new Uint8Array(32)
  const ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }> = []
  for (let i = from; i < from + BATCH; i++) {
    ops.push({ type: 'put', key: rawKey(i), value: sample })
    const node = rawKey(i)
    node[0] = 0x6e
    ops.push({ type: 'put', key: node, value: hash })
    for (const field of [0x61, 0x62, 0x63]) {
      const index = new Uint8Array(24)
      index[0] = 0x69
      index[1] = field
      index.set(rawKey(i), 15)
      ops.push({ type: 'put', key: index, value: new Uint8Array(0) })
    }
  }
  return ops
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'pocnet-bench-ledger-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function openRaw(path: string): Level<Uint8Array, Uint8Array> {
  return new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
}

async function appendBench(ctx: { quick: boolean }, batched: boolean): Promise<BenchResult> {
  return withTemp(async (dir) => {
    const identity = NodeIdentity.generate()
    const ledger = await Ledger.open({ dir: join(dir, 'ledger'), identity, origin: ORIGIN })
    const raw = openRaw(join(dir, 'raw'))
    await raw.open()
    let n = 0
    let r = 0
    const sample = entryBytes(0)
    const opts = ctx.quick ? { runs: 3, runMs: 300, warmupMs: 100 } : { runs: 5, runMs: 1000 }
    try {
      const { subject, baseline } = batched
        ? await measureRatePair(
            () => ledger.appendBatch(Array.from({ length: BATCH }, () => event(n++))),
            () =>
              raw.batch(
                Array.from({ length: BATCH }, () => ({
                  type: 'put' as const,
                  key: rawKey(r++),
                  value: sample,
                })),
                { sync: true },
              ),
            opts,
          )
        : await measureRatePair(
            () => ledger.append(event(n++)),
            () => raw.put(rawKey(r++), sample, { sync: true }),
            opts,
          )
      const scale = batched ? BATCH : 1
      // what bounds the batched ratio: LevelDB's cost per operation, at the ledger's operations per entry
      const sameOps = batched
        ? (
            await measureRate(async () => {
              await raw.batch(sameOpsBatch(r, sample), { sync: true })
              r += BATCH
            }, opts)
          ).median * BATCH
        : undefined
      return {
        value: subject.median * scale,
        baseline: baseline.median * scale,
        baselineName: batched
          ? `raw LevelDB batch of ${BATCH} puts of the same entry bytes, fsync'd`
          : "raw LevelDB put of the same entry bytes, fsync'd",
        spread: subject.spread,
        note:
          'per entry the ledger also writes ~1 subtree hash and 3 index keys (case, counterpart, kind), in the same batch' +
          (batched ? '; extra: a raw batch with those five puts per entry, and the ratio to it' : ''),
        extra: {
          entryBytes: sample.length,
          ...(sameOps !== undefined && {
            rawSameOpsEntriesPerSecond: Math.round(sameOps),
            ratioToRawSameOps: (subject.median * scale) / sameOps,
          }),
        },
      }
    } finally {
      await ledger.close()
      await raw.close()
    }
  })
}

/** One ledger grown in steps and shared by the proof and verify entries. */
let shared: Promise<{ dir: string; ledger: Ledger }> | undefined
function sharedLedger(): Promise<{ dir: string; ledger: Ledger }> {
  shared ??= (async () => {
    const root = await mkdtemp(join(tmpdir(), 'pocnet-bench-ledger-'))
    // 'exit' handlers must be synchronous; the ledger (up to 10^6 entries) must not outlive the run
    process.once('exit', () => rmSync(root, { recursive: true, force: true }))
    const dir = join(root, 'ledger')
    const ledger = await Ledger.open({ dir, identity: NodeIdentity.generate(), origin: ORIGIN })
    return { dir, ledger }
  })()
  return shared
}

async function growTo(ledger: Ledger, size: number): Promise<void> {
  while (ledger.size < size) {
    const count = Math.min(10_000, size - ledger.size)
    const base = ledger.size
    await ledger.appendBatch(Array.from({ length: count }, (_, i) => event(base + i)))
  }
  await ledger.checkpoint()
}

/** Inclusion + consistency proofs per second on the shared ledger at `size` entries. */
async function proofRate(ledger: Ledger, size: number, quick: boolean) {
  await growTo(ledger, size)
  let x = 1
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x % size
  }
  const { subject, baseline } = await measureRatePair(
    async () => {
      await ledger.inclusionProof(next(), size)
      await ledger.consistencyProof(1 + next(), size)
    },
    () => ledger.getBytes(next()),
    quick ? { runs: 3, runMs: 300, warmupMs: 100 } : { runs: 5, runMs: 600 },
  )
  return { proofs: subject, reads: baseline }
}

const proofGrowth: BenchEntry = {
  name: 'ledger proof generation vs tree size',
  unit: 'proofs/s',
  async run(ctx) {
    const { ledger } = await sharedLedger()
    const sizes = ctx.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]
    const extra: Record<string, number> = {}
    let first: Awaited<ReturnType<typeof proofRate>> | undefined
    let last: Awaited<ReturnType<typeof proofRate>> | undefined
    for (const size of sizes) {
      last = await proofRate(ledger, size, ctx.quick)
      first ??= last
      extra[`proofsPerSecondAt${size}`] = Math.round(last.proofs.median)
      extra[`entryReadsPerSecondAt${size}`] = Math.round(last.reads.median)
      extra[`inclusionProofLengthAt${size}`] = (await ledger.inclusionProof(size - 1, size)).length
    }
    return {
      value: last!.proofs.median,
      baseline: first!.proofs.median,
      baselineName: 'the same proofs at 10^4 entries',
      spread: last!.proofs.spread,
      note:
        `one op = one inclusion + one consistency proof, each O(log n) LevelDB reads, at ${sizes.at(-1)} ` +
        'entries; O(log n) keeps the ratio near log(1e4)/log(n), where O(n) would give 1e4/n',
      extra,
    }
  },
}

function verifyBench(source: 'data dir' | 'bundle'): BenchEntry {
  return {
    name: `ledger verify (${source})`,
    unit: 'entries/s',
    async run(ctx) {
      const size = ctx.quick ? 100_000 : 1_000_000
      const { ledger, dir } = await sharedLedger()
      await growTo(ledger, size)
      const leaves = await packedLeaves(ledger, size)
      const bundle = join(dir, '..', 'export.pnlb')
      if (source === 'bundle') await ledger.export(bundle)
      const path = source === 'bundle' ? bundle : dir
      const verifyRate = async (options: VerifyOptions) => {
        const start = performance.now()
        const report = await verifyLedger(path, options)
        if (!report.ok || report.entries < size) throw new Error(`verify failed: ${report.problem?.reason}`)
        return {
          rate: (report.entries * 1000) / (performance.now() - start),
          threads: report.threads,
          root: report.root!,
        }
      }
      const subjectRates: number[] = []
      const baselineRates: number[] = []
      const stringBaselineRates: number[] = []
      const hashObjectRates: number[] = []
      const treeRates: number[] = []
      const oneThreadRates: number[] = []
      let threads = 0
      // one pass over 10^5 or 10^6 entries is a long sample already; more would blow the budget
      const runs = ctx.quick ? 1 : 2
      try {
        for (let r = 0; r < runs; r++) {
          const parallel = await verifyRate({})
          subjectRates.push(parallel.rate)
          threads = parallel.threads
          oneThreadRates.push((await verifyRate({ threads: 0 })).rate)
          // a pass of raw hashing is short next to a verify: three of each form, so one noisy pass
          // does not set a ratio (docs/performance.md says why the Buffer form is the baseline)
          for (let pass = 0; pass < 3; pass++) {
            let start = performance.now()
            for (const leaf of leaves) hash('sha256', leaf, 'buffer')
            baselineRates.push((leaves.length * 1000) / (performance.now() - start))
            start = performance.now()
            for (const leaf of leaves) hash('sha256', leaf, 'binary')
            stringBaselineRates.push((leaves.length * 1000) / (performance.now() - start))
            start = performance.now()
            for (const leaf of leaves) createHash('sha256').update(leaf).digest()
            hashObjectRates.push((leaves.length * 1000) / (performance.now() - start))
          }
          const start = performance.now()
          const root = treeRoot(leaves)
          treeRates.push((leaves.length * 1000) / (performance.now() - start))
          // the tree hash must do the verifier's hashing: same root, or it measures something else
          if (root !== Buffer.from(parallel.root).toString('latin1'))
            throw new Error('the raw tree hash disagrees with the verifier')
        }
      } finally {
        if (source === 'bundle') await rm(bundle, { force: true })
      }
      const rate = median(subjectRates)
      const extra: Record<string, number> = {
        entries: size,
        threads,
        oneThreadEntriesPerSecond: Math.round(median(oneThreadRates)),
        oneThreadRatio: median(oneThreadRates) / median(baselineRates),
        rawHashToStringPerSecond: Math.round(median(stringBaselineRates)),
        ratioToRawHashToString: rate / median(stringBaselineRates),
        rawHashObjectPerSecond: Math.round(median(hashObjectRates)),
        ratioToRawHashObject: rate / median(hashObjectRates),
        rawTreeEntriesPerSecond: Math.round(median(treeRates)),
        ratioToRawTree: rate / median(treeRates),
      }
      if (source === 'data dir') extra.rawLevelDbReadsPerSecond = Math.round(await rawEntryReadRate(dir))
      return {
        value: rate,
        baseline: median(baselineRates),
        baselineName:
          'raw SHA-256 of each leaf (0x00 ‖ entry), in memory, one thread: node:crypto one-shot hash, digest as bytes',
        ...(subjectRates.length > 1 && { spread: spreadOf(subjectRates) }),
        note:
          (source === 'data dir'
            ? 'includes copying the LevelDB to a temporary directory, every file copied (the verifier never writes to the source); '
            : 'streams the bundle file; ') +
          `${threads} worker threads decode and hash; extra gives the one-thread rate and three more ` +
          "raw figures over the same entries: the hash with its digest as a latin1 string (node:crypto's " +
          'fastest form, which the verifier uses inside), the hash object (createHash, update, digest), and ' +
          'the raw RFC 9162 tree hash (2n-1 SHA-256 calls)' +
          (source === 'data dir'
            ? '; and a raw LevelDB scan of the stored entries (tiles, then single entries)'
            : ''),
        extra,
      }
    },
  }
}

/**
 * The leaf hash inputs (0x00 ‖ entry) of the first `size` entries, as views into one buffer: a
 * million separate small buffers made the baselines' speed depend on what the heap held from
 * earlier entries.
 */
async function packedLeaves(ledger: Ledger, size: number): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = []
  for await (const e of ledger.entryBytes(0, size)) parts.push(e.bytes)
  const all = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0))
  const views: Uint8Array[] = new Array(parts.length)
  let at = 0
  for (const [i, p] of parts.entries()) {
    all.set(p, at + 1)
    views[i] = all.subarray(at, at + 1 + p.length)
    at += 1 + p.length
  }
  return views
}

/** The RFC 9162 root over `leaves` (0x00 ‖ entry) with nothing but node:crypto, as a latin1 string. */
function treeRoot(leaves: Uint8Array[]): string {
  const stack: string[] = []
  const children = Buffer.alloc(65)
  children[0] = 0x01
  for (let i = 0; i < leaves.length; i++) {
    let node = hash('sha256', leaves[i]!, 'binary')
    for (let n = i; n % 2 === 1; n = (n - 1) / 2) {
      children.write(stack.pop()!, 1, 32, 'latin1')
      children.write(node, 33, 32, 'latin1')
      node = hash('sha256', children, 'binary')
    }
    stack.push(node)
  }
  let root = stack.pop()!
  while (stack.length > 0) {
    children.write(stack.pop()!, 1, 32, 'latin1')
    children.write(root, 33, 32, 'latin1')
    root = hash('sha256', children, 'binary')
  }
  return root
}

/**
 * Entries per second of a bare LevelDB scan over the ledger's stored entries — its tile records
 * (each opening with its entry count), then the single entries after them — on a copy, as the
 * verifier reads.
 */
async function rawEntryReadRate(ledgerDir: string): Promise<number> {
  return withTemp(async (tmp) => {
    const copy = join(tmp, 'db')
    await cp(join(ledgerDir, 'db'), copy, { recursive: true, filter: (src) => basename(src) !== 'LOCK' })
    const db = openRaw(copy)
    await db.open()
    try {
      const start = performance.now()
      let count = 0
      for (const [prefix, batchSize] of [
        [0x74, 64],
        [0x65, 4096],
      ] as const) {
        const it = db.iterator({ gte: new Uint8Array([prefix]), lt: new Uint8Array([prefix + 1]) })
        for (;;) {
          const batch = await it.nextv(batchSize)
          if (batch.length === 0) break
          if (prefix === 0x65) count += batch.length
          else for (const [, v] of batch) count += new DataView(v.buffer, v.byteOffset, 4).getUint32(0)
        }
        await it.close()
      }
      return (count * 1000) / (performance.now() - start)
    } finally {
      await db.close()
    }
  })
}

export const entries: BenchEntry[] = [
  { name: "ledger append single (fsync'd)", unit: 'entries/s', run: (ctx) => appendBench(ctx, false) },
  { name: `ledger append batched (${BATCH})`, unit: 'entries/s', run: (ctx) => appendBench(ctx, true) },
  proofGrowth,
  verifyBench('data dir'),
  verifyBench('bundle'),
]
