/**
 * Directory lookup latency with a cold cache (every lookup asks the network), in a loopback
 * federation of 10, 30 and 100 member nodes spread over child processes, each node connected
 * to every other. Per sample, interleaved: a lookup as the node makes it (the country's own
 * node first, then the DHT), a DHT-only lookup (the first valid copy; the query finishing in the
 * background), and the baseline, the `peer` source alone (the dir-fetch request to the member).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NodeIdentity } from '@pocnet/crypto'
import { encodeRosterBody, encodeRosterDocument, type LookupOptions, signRosterBody } from '@pocnet/directory'
import { type BenchEntry, type BenchResult, median, percentile, spreadOf } from '../harness.ts'
import type { NodesAnswer, NodesCommand } from '../workers/directory-nodes.ts'

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'workers', 'directory-nodes.ts')
/** Child processes the nodes are spread over (the machine has 2 cores; more only adds switching). */
const PROCESSES = 4

type Command = NodesCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never

/** One child process running some of the nodes, asked one command at a time per call. */
class NodesProcess {
  readonly #child: ChildProcess
  readonly #waiting = new Map<number, (answer: NodesAnswer) => void>()
  #next = 0
  readonly countries: string[]

  constructor(countries: string[]) {
    this.countries = countries
    this.#child = fork(WORKER, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#child.on('message', (answer: NodesAnswer) => {
      this.#waiting.get(answer.id)?.(answer)
      this.#waiting.delete(answer.id)
    })
    this.#child.on('exit', (code) => {
      for (const [id, answered] of this.#waiting) answered({ id, ok: false, error: `exited with ${code}` })
      this.#waiting.clear()
    })
  }

  async call(command: Command): Promise<Extract<NodesAnswer, { ok: true }>> {
    const id = this.#next++
    const answer = await new Promise<NodesAnswer>((resolve) => {
      this.#waiting.set(id, resolve)
      this.#child.send({ ...command, id })
    })
    if (!answer.ok) throw new Error(`bench node process, ${command.type}: ${answer.error}`)
    return answer
  }

  kill(): void {
    this.#child.kill()
  }
}

interface Federation {
  countries: string[]
  processOf: Map<string, NodesProcess>
  processes: NodesProcess[]
  /** Dials that failed while connecting every pair; the smallest routing table when lookups began. */
  setup: { dialFailures: number; smallestRoutingTable: number }
}

async function startFederation(n: number): Promise<Federation> {
  const identities = Array.from({ length: n }, () => NodeIdentity.generate())
  const countries = identities.map((_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)))
  const bodyBytes = encodeRosterBody({
    kind: 'genesis',
    network: 'pocnet-bench',
    version: 0,
    createdAt: Date.now(),
    threshold: Math.ceil(n / 2),
    members: identities.map((id, i) => ({
      country: countries[i]!,
      name: countries[i]!,
      publicKey: id.signingPublicKey,
    })),
  })
  const genesis = encodeRosterDocument(
    bodyBytes,
    identities.map((id) => signRosterBody(id, bodyBytes)),
  )
  const count = Math.min(PROCESSES, n)
  const processes = Array.from(
    { length: count },
    (_, p) => new NodesProcess(countries.filter((_, i) => i % count === p)),
  )
  const processOf = new Map(processes.flatMap((proc) => proc.countries.map((c) => [c, proc] as const)))
  let setup: Federation['setup']
  try {
    const started = await Promise.all(
      processes.map((proc) =>
        proc.call({
          type: 'start',
          genesis,
          members: proc.countries.map((country) => ({
            country,
            secrets: identities[countries.indexOf(country)]!.secrets,
          })),
        }),
      ),
    )
    const peers = started.flatMap((s) =>
      Object.entries(s.addresses ?? {}).map(([country, addresses]) => ({ country, addresses })),
    )
    const dialled = await Promise.all(
      processes.map((proc) => proc.call({ type: 'connect', peers, order: countries })),
    )
    const ready = await Promise.all(
      processes.map((proc) => proc.call({ type: 'ready', minTable: Math.min(n - 1, 20) })),
    )
    await Promise.all(processes.map((proc) => proc.call({ type: 'publish' })))
    setup = {
      dialFailures: dialled.reduce((sum, d) => sum + (d.count ?? 0), 0),
      smallestRoutingTable: Math.min(...ready.map((r) => r.count ?? 0)),
    }
  } catch (err) {
    for (const proc of processes) proc.kill()
    throw err
  }
  return { countries, processOf, processes, setup }
}

async function stopFederation(federation: Federation): Promise<void> {
  await Promise.all(
    federation.processes.map(async (proc) => {
      await proc.call({ type: 'stop' }).catch(() => {})
      proc.kill()
    }),
  )
}

/** Latencies of one kind of lookup, and how many answered from a source other than the one it is for. */
interface Series {
  ms: number[]
  elsewhere: number
}

/**
 * One lookup from `from`'s node, timed in its process, added to `series` when `expected` answered
 * (or whatever answered, when `keepAny`: the lookup as the node makes it). A lookup that found
 * nothing, or answered otherwise, is counted, not timed.
 */
async function lookup(
  federation: Federation,
  series: Series,
  from: string,
  to: string,
  sources: NonNullable<LookupOptions['sources']>,
  expected: string,
  keepAny = false,
): Promise<void> {
  const answer = await federation.processOf.get(from)!.call({ type: 'lookup', from, to, sources })
  if (answer.source !== expected) series.elsewhere++
  if (answer.source === expected || (keepAny && answer.source !== 'none')) series.ms.push(answer.ms!)
}

/** The six orders of the three kinds of lookup. */
const ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const

async function lookupBench(n: number, ctx: { quick: boolean }): Promise<BenchResult> {
  const samples = ctx.quick ? 42 : 150
  const federation = await startFederation(n)
  try {
    const { countries } = federation
    const asNodeDoes: Series = { ms: [], elsewhere: 0 }
    const dhtOnly: Series = { ms: [], elsewhere: 0 }
    const peerOnly: Series = { ms: [], elsewhere: 0 }
    for (let i = 0; i < samples; i++) {
      const from = countries[i % n]!
      const to = countries[(i + 1 + Math.floor(Math.random() * (n - 1))) % n]!
      const runs = [
        () => lookup(federation, asNodeDoes, from, to, ['dht', 'peer'], 'peer', true),
        () => lookup(federation, dhtOnly, from, to, ['dht'], 'dht'),
        () => lookup(federation, peerOnly, from, to, ['peer'], 'peer'),
      ]
      // every order in turn: a DHT lookup's query runs on in the background after it answers, and
      // each kind must follow it (and be followed by it) as often as the others
      for (const r of ORDERS[i % ORDERS.length]!) await runs[r]!()
    }
    // the first round also pays for stream and key-object warm-up: drop it from every series
    const warm = (series: Series) => series.ms.slice(n)
    const value = median(warm(asNodeDoes))
    const baseline = median(warm(peerOnly))
    return {
      value,
      baseline,
      baselineName: `the peer source alone: a dir-fetch request to the country's node (${n} nodes)`,
      ratio: value / baseline,
      spread: spreadOf(warm(asNodeDoes)),
      note: 'value and baseline are p50 latencies; ratio = value / baseline; dht = the DHT alone',
      extra: {
        nodes: n,
        processes: federation.processes.length,
        ...federation.setup,
        samples: warm(asNodeDoes).length,
        p95: percentile(warm(asNodeDoes), 95),
        baselineP95: percentile(warm(peerOnly), 95),
        dhtP50: median(warm(dhtOnly)),
        dhtP95: percentile(warm(dhtOnly), 95),
        // answered by the DHT (own node too slow), or by nothing fresher than the stale cache
        notFromOwnNode: asNodeDoes.elsewhere,
        dhtMissed: dhtOnly.elsewhere,
        peerMissed: peerOnly.elsewhere,
      },
    }
  } finally {
    await stopFederation(federation)
  }
}

export const entries: BenchEntry[] = [10, 30, 100].map((n) => ({
  name: `directory lookup, cache cold, ${n} nodes`,
  unit: 'ms',
  // 30 and 100 nodes take minutes to connect and publish: a full run only
  ...(n > 10 && { fullOnly: true }),
  run: (ctx) => lookupBench(n, ctx),
}))
