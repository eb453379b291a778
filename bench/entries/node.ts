/**
 * The node: a sealed request to a counterpart and its signed receipt, sequentially and with
 * 32 in flight, beside a bare libp2p request/response of the same sizes on the same
 * connection; the daemon's cold start and memory beside a bare libp2p process.
 *
 * The round trip measured is what the wire path costs: seal at the sender, one stream,
 * the receiver's open + durable ledger append (fsync) + signed receipt, and the sender's
 * check of the receipt. The sender's own ledger bookkeeping (its outbox entries) is not in
 * it; send-path.ts measures the whole path through the outbox. The receiver is a real daemon
 * process; the sender runs in this process.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { createFederation, type FederationNode, spawnNode, stopNode } from '@pocnet/test-utils'
import { type BenchEntry, measureLatencies, median, percentile, spreadOf } from '../harness.ts'
import { IN_FLIGHT, startPair, throughput } from '../node-pair.ts'

export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1])
}

/** Starts the node's daemon, lets it settle, reads its RSS, stops it. */
export async function settledRssKiB(node: FederationNode): Promise<{ rssKiB: number; startMs: number }> {
  const start = performance.now()
  await spawnNode(node)
  const startMs = performance.now() - start
  await new Promise((r) => setTimeout(r, 2000))
  const rss = await rssKiB(node.process!.pid)
  await stopNode(node)
  return { rssKiB: rss, startMs }
}

/** A bare libp2p node (TCP, Noise, Yamux) in its own process: start-up time and RSS. */
async function bareLibp2pProcess(): Promise<{ readyMs: number; rssKiB: number }> {
  const script = `
    import { createLibp2p } from 'libp2p'
    import { tcp } from '@libp2p/tcp'
    import { noise } from '@chainsafe/libp2p-noise'
    import { yamux } from '@chainsafe/libp2p-yamux'
    const node = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    process.stdout.write('ready\\n')
    process.on('SIGTERM', async () => { await node.stop(); process.exit(0) })
  `
  const start = performance.now()
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: import.meta.dirname,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`bare libp2p process exited ${code}`)))
  })
  const readyMs = performance.now() - start
  await new Promise((r) => setTimeout(r, 1000))
  const rss = await rssKiB(child.pid!)
  child.kill('SIGTERM')
  return { readyMs, rssKiB: rss }
}

export const entries: BenchEntry[] = [
  {
    name: 'node request→receipt latency p50 (2 KiB, sequential)',
    unit: 'ms',
    async run({ quick }) {
      const pair = await startPair()
      try {
        const n = quick ? 100 : 1000
        await measureLatencies(pair.deliver, 20)
        await measureLatencies(pair.bare, 20)
        const delivered: number[] = []
        const bare: number[] = []
        const perStream: number[] = []
        // interleaved in blocks so machine noise hits both
        for (let i = 0; i < 10; i++) {
          delivered.push(...(await measureLatencies(pair.deliver, n / 10)))
          bare.push(...(await measureLatencies(pair.bare, n / 10)))
          perStream.push(...(await measureLatencies(pair.barePerStream, n / 10)))
        }
        return {
          value: median(delivered),
          baseline: median(bare),
          baselineName:
            'bare round trip of the same sizes to the same daemon on a reused stream, as pocnet sends (answered with a signed refusal)',
          spread: spreadOf(delivered),
          note: 'ratio = pocnet / bare reused-stream round trip (lower is better; target ≤ 3)',
          extra: {
            p99: percentile(delivered, 99),
            baselineP99: percentile(bare, 99),
            perStreamBareP50: median(perStream),
          },
        }
      } finally {
        await pair.stop()
      }
    },
  },
  {
    name: 'node receipted throughput (2 KiB, 32 in flight)',
    unit: 'msg/s',
    async run({ quick }) {
      const pair = await startPair()
      try {
        const total = quick ? 500 : 5000
        await throughput(pair.deliver, 64, IN_FLIGHT)
        const rates: number[] = []
        const bareRates: number[] = []
        const perStreamRates: number[] = []
        for (let i = 0; i < 3; i++) {
          rates.push(await throughput(pair.deliver, total / 3, IN_FLIGHT))
          bareRates.push(await throughput(pair.bare, total / 3, IN_FLIGHT))
          perStreamRates.push(await throughput(pair.barePerStream, total / 3, IN_FLIGHT))
        }
        return {
          value: median(rates),
          baseline: median(perStreamRates),
          baselineName: 'bare libp2p request/response (a stream per request) of the same sizes, 32 in flight',
          spread: spreadOf(rates),
          note: 'target ≥ 1,000 msg/s, each receipted only after an fsync',
          extra: { reusedStreamBarePerSecond: Math.round(median(bareRates)) },
        }
      } finally {
        await pair.stop()
      }
    },
  },
  {
    name: 'node cold start to serving',
    unit: 'ms',
    async run() {
      const fed = await createFederation({ countries: ['IT'] })
      try {
        const node = fed.nodes[0]!
        const starts: number[] = []
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now()
          await spawnNode(node)
          starts.push(performance.now() - t0)
          await stopNode(node)
        }
        const bare = await bareLibp2pProcess()
        return {
          value: median(starts),
          baseline: bare.readyMs,
          baselineName: 'a bare libp2p node process (TCP, Noise, Yamux) until it listens',
          spread: spreadOf(starts),
          note: 'includes scrypt at the test cost (log2N 10), opening LevelDB and rebuilding state',
        }
      } finally {
        await fed.cleanup()
      }
    },
  },
  {
    name: 'node RSS idle',
    unit: 'MiB',
    async run() {
      const fed = await createFederation({ countries: ['IT'] })
      try {
        const node = fed.nodes[0]!
        const { rssKiB: rss } = await settledRssKiB(node)
        const bare = await bareLibp2pProcess()
        return {
          value: rss / 1024,
          baseline: bare.rssKiB / 1024,
          baselineName: 'a bare libp2p node process (TCP, Noise, Yamux)',
          note: 'ratio = pocnet / bare (lower is better)',
        }
      } finally {
        await fed.cleanup()
      }
    },
  },
  {
    name: 'node RSS holding a large ledger',
    unit: 'MiB',
    async run({ quick }) {
      const entriesCount = quick ? 10_000 : 100_000
      const fed = await createFederation({ countries: ['IT'] })
      try {
        const node = fed.nodes[0]!
        const idle = await settledRssKiB(node)
        const ledger = await Ledger.open({
          dir: join(node.dataDir, 'ledger'),
          identity: node.identity,
          origin: checkpointOrigin(node.network, node.country),
        })
        for (let done = 0; done < entriesCount; done += 1000) {
          await ledger.appendBatch(
            Array.from({ length: 1000 }, (_, i) => ({
              kind: 'message-received' as const,
              actor: 'country:FR',
              counterpart: 'FR',
              caseId: `bench-${(done + i) % 500}`,
              messageId: randomBytes(16).toString('hex'),
              detail: { messageKind: 'bench' },
            })),
          )
        }
        await ledger.close()
        const full = await settledRssKiB(node)
        return {
          value: full.rssKiB / 1024,
          baseline: idle.rssKiB / 1024,
          baselineName: 'the same node with an empty ledger',
          note:
            `${entriesCount.toLocaleString('en-US')} entries of kind message-received; ratio = full / empty; ` +
            'extra gives the time from spawning the daemon to its serving, with the ledger empty and full (one start each)',
          extra: {
            entries: entriesCount,
            startMsEmpty: Math.round(idle.startMs),
            startMsFull: Math.round(full.startMs),
          },
        }
      } finally {
        await fed.cleanup()
      }
    },
  },
]
