/**
 * The benchmark harness: every entry measures pocnet's operation and a baseline doing
 * the same bytes of work (the raw primitive) in the same run, and reports their ratio.
 * Absolute numbers on a noisy 2-core machine mean little; the ratio is what is compared.
 */

export interface BenchContext {
  /** Smoke mode: fewer and shorter runs, so every entry proves it still works. */
  quick: boolean
}

export interface BenchResult {
  /** pocnet's figure, in `unit`. */
  value: number
  /** The baseline's figure, in the same unit, measured in the same run. */
  baseline: number
  /** What the baseline is, e.g. "2 Ed25519 signs + 2 verifies + box.after + box.open.after". */
  baselineName: string
  /** value / baseline unless the entry says otherwise (then `note` says how). */
  ratio?: number
  /** (max - min) / median of pocnet's samples. */
  spread?: number
  note?: string
  extra?: Record<string, number>
}

export interface BenchEntry {
  name: string
  unit: string
  /** Too slow for `--quick`: run in a full run only. */
  fullOnly?: boolean
  run(ctx: BenchContext): Promise<BenchResult>
}

export interface RateOptions {
  warmupMs?: number
  runs?: number
  runMs?: number
}

export interface Measured {
  median: number
  spread: number
  samples: number[]
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples')
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples')
  if (p < 0 || p > 100) throw new RangeError('percentile must be within 0..100')
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]!
}

export function spreadOf(samples: readonly number[]): number {
  const m = median(samples)
  return m === 0 ? 0 : (Math.max(...samples) - Math.min(...samples)) / m
}

/**
 * Operations per second of `fn`: a warm-up, then `runs` timed runs of about `runMs`
 * each; the median run is the figure and the spread shows how noisy the machine was.
 */
export async function measureRate(
  fn: () => unknown | Promise<unknown>,
  opts: RateOptions = {},
): Promise<Measured> {
  const { warmupMs = 300, runs = 5, runMs = 500 } = opts
  const warmupEnd = performance.now() + warmupMs
  while (performance.now() < warmupEnd) await fn()
  const samples: number[] = []
  for (let r = 0; r < runs; r++) {
    let ops = 0
    const start = performance.now()
    let now = start
    while (now - start < runMs) {
      await fn()
      ops++
      now = performance.now()
    }
    samples.push((ops * 1000) / (now - start))
  }
  return { median: median(samples), spread: spreadOf(samples), samples }
}

/** Runs `fn` `count` times and returns each call's latency in milliseconds. */
export async function measureLatencies(
  fn: () => unknown | Promise<unknown>,
  count: number,
): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const start = performance.now()
    await fn()
    out.push(performance.now() - start)
  }
  return out
}

/**
 * Interleaves the measurement of two functions, run by run, so that a burst of noise on
 * the machine hits both rather than just one.
 */
export async function measureRatePair(
  subject: () => unknown | Promise<unknown>,
  baseline: () => unknown | Promise<unknown>,
  opts: RateOptions = {},
): Promise<{ subject: Measured; baseline: Measured }> {
  const runs = opts.runs ?? 5
  const one = { ...opts, runs: 1 }
  const s: number[] = []
  const b: number[] = []
  for (let r = 0; r < runs; r++) {
    s.push(...(await measureRate(subject, r === 0 ? one : { ...one, warmupMs: 50 })).samples)
    b.push(...(await measureRate(baseline, r === 0 ? one : { ...one, warmupMs: 50 })).samples)
  }
  return {
    subject: { median: median(s), spread: spreadOf(s), samples: s },
    baseline: { median: median(b), spread: spreadOf(b), samples: b },
  }
}
