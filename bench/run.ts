/**
 * `pnpm bench [--quick] [--filter <substring>]`: runs every entry in bench/entries/,
 * prints a table and writes bench/results.json.
 */

import { readdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { BenchEntry, BenchResult } from './harness.ts'

const here = dirname(fileURLToPath(import.meta.url))

interface Row {
  name: string
  unit: string
  value?: number
  baseline?: number
  baselineName?: string
  ratio?: number
  spread?: number
  note?: string
  extra?: Record<string, number>
  error?: string
  seconds: number
}

async function loadEntries(): Promise<BenchEntry[]> {
  const dir = join(here, 'entries')
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort()
  const entries: BenchEntry[] = []
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { entries?: BenchEntry[] }
    if (!Array.isArray(mod.entries)) throw new Error(`bench/entries/${file} exports no 'entries' array`)
    entries.push(...mod.entries)
  }
  return entries
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-'
  const abs = Math.abs(n)
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US')
  if (abs >= 10) return n.toFixed(1)
  return n.toFixed(3)
}

function printTable(rows: Row[]): void {
  const header = ['benchmark', 'value', 'baseline', 'ratio', 'spread', 'unit']
  const lines = rows.map((r) => [
    r.name,
    r.error ? 'ERROR' : fmt(r.value),
    fmt(r.baseline),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    r.spread === undefined ? '-' : `${Math.round(r.spread * 100)}%`,
    r.unit,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const l of lines) console.log(line(l))
  for (const r of rows) {
    if (r.error) console.log(`\n${r.name}: ${r.error}`)
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, filter: { type: 'string' } },
  })
  const quick = values.quick === true
  const entries = (await loadEntries()).filter(
    (e) => (values.filter === undefined || e.name.includes(values.filter)) && !(quick && e.fullOnly === true),
  )
  console.log(`pocnet bench${quick ? ' --quick' : ''}: ${entries.length} entries, node ${process.version}\n`)
  const rows: Row[] = []
  for (const entry of entries) {
    process.stdout.write(`  ${entry.name} ... `)
    const start = performance.now()
    try {
      const result: BenchResult = await entry.run({ quick })
      const ratio = result.ratio ?? result.value / result.baseline
      rows.push({
        name: entry.name,
        unit: entry.unit,
        ...result,
        ratio,
        seconds: (performance.now() - start) / 1000,
      })
      console.log(
        `${fmt(result.value)} ${entry.unit} (baseline ${fmt(result.baseline)}, ratio ${ratio.toFixed(2)})`,
      )
    } catch (err) {
      rows.push({
        name: entry.name,
        unit: entry.unit,
        error: String(err),
        seconds: (performance.now() - start) / 1000,
      })
      console.log('ERROR')
    }
  }
  console.log('')
  printTable(rows)
  const cpu = cpus()
  const results = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cpuModel: cpu[0]?.model ?? 'unknown',
      cpus: cpu.length,
      memoryBytes: totalmem(),
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
    },
    benchmarks: rows,
  }
  await writeFile(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwrote bench/results.json`)
  return rows.some((r) => r.error !== undefined) ? 1 : 0
}

process.exitCode = await main()
