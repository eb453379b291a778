/**
 * Attachments node to node: a file sent with a case answer, from the moment the answer is queued
 * until the receiver holds it whole (every chunk pulled, checked, stored with an fsync; the whole
 * SHA-256 checked; the ledger entry written), beside a bare libp2p stream (TCP, Noise, Yamux)
 * carrying the same bytes in 1 MiB frames between two plain libp2p nodes, in the same run. Beside
 * the rates, the CPU each side spends per MiB (the receiver's includes this harness polling it).
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { attachmentRoutes, caseRoutes } from '@pocnet/node/control-client'
import {
  createFederation,
  emergencyDisclosureForm,
  spawnNode,
  stopNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { createLibp2p } from 'libp2p'
import type { BenchEntry } from '../harness.ts'

const MiB = 1024 * 1024
const BARE_PROTOCOL = '/pocnet-bench/bytes/1.0.0'
/** Clock ticks a second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

/**
 * CPU milliseconds process `pid` has used (user and system), from /proc; NaN where there is none.
 * On a shared machine the rates move with the load; the CPU each side spends per MiB moves less,
 * and says what bounds the transfer.
 */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return Number.NaN
  // the fields after the command's closing parenthesis start at field 3: utime is 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

const processCpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * Seconds for `mib` MiB in 1 MiB frames over one stream between two bare libp2p nodes, acknowledged
 * at the end, and the CPU milliseconds both spent (they run in this process).
 */
async function bareStream(mib: number): Promise<{ seconds: number; cpuMs: number }> {
  const make = () =>
    createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
  const [sender, receiver] = await Promise.all([make(), make()])
  try {
    await receiver.handle(BARE_PROTOCOL, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 2 * MiB })
      for (let i = 0; i < mib; i++) await lp.read()
      await lp.write(new Uint8Array([1]))
      await stream.close()
    })
    const chunk = new Uint8Array(randomBytes(MiB))
    await sender.dial(receiver.getMultiaddrs()[0]!)
    const start = performance.now()
    const cpuBefore = processCpuMs()
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0]!, BARE_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: 2 * MiB })
    for (let i = 0; i < mib; i++) await lp.write(chunk)
    await lp.read()
    const seconds = (performance.now() - start) / 1000
    const cpuMs = processCpuMs() - cpuBefore
    await stream.close()
    return { seconds, cpuMs }
  } finally {
    await Promise.all([sender.stop(), receiver.stop()])
  }
}

export const entries: BenchEntry[] = [
  {
    name: 'attachment throughput node to node (1 MiB chunks, 8 in flight)',
    unit: 'MiB/s',
    async run({ quick }) {
      const mib = quick ? 8 : 64
      const fed = await createFederation({ countries: ['HU', 'FR'] })
      try {
        const [hu, fr] = [fed.node('HU'), fed.node('FR')]
        await Promise.all(fed.nodes.map((n) => spawnNode(n, { env: { POCNET_LOG_LEVEL: 'error' } })))
        await waitUntilReachable(hu, fr)
        await waitUntilReachable(fr, hu)
        const rates: number[] = []
        const bare: number[] = []
        // CPU ms per MiB: the receiving and sending daemons, and both bare nodes together
        const cpu = { receiver: [] as number[], sender: [] as number[], bare: [] as number[] }
        for (let run = 0; run < (quick ? 1 : 3); run++) {
          const opened = await hu.client.call(caseRoutes.open, {
            body: { to: 'FR', request: emergencyDisclosureForm(`HU-BENCH-${run}`) },
          })
          const caseId = opened.caseId
          await waitFor(() => fr.client.call(caseRoutes.detail, { params: { id: caseId } }), {
            timeoutMs: 30_000,
            description: 'FR to hold the case',
          })
          await fr.client.call(caseRoutes.step, {
            params: { id: caseId },
            body: { kind: 'acknowledged', by: 'Bench' },
          })
          // uploaded first, outside the measure: what is measured is the transfer between the nodes
          const started = await fr.client.call(attachmentRoutes.begin, {
            body: { name: 'bench.bin', size: mib * MiB },
          })
          const bytes = randomBytes(MiB)
          for (let i = 0; i < started.chunks; i++)
            await fr.client.call(attachmentRoutes.chunk, {
              params: { id: started.id, index: String(i) },
              body: { data: bytes.toString('base64') },
            })
          const { attachment } = await fr.client.call(attachmentRoutes.finish, { params: { id: started.id } })
          const start = performance.now()
          const [huCpu, frCpu] = [await cpuMsOf(hu.process!.pid), await cpuMsOf(fr.process!.pid)]
          await fr.client.call(caseRoutes.step, {
            params: { id: caseId },
            body: { kind: 'answered', summary: 'bench', attachments: [attachment] },
          })
          await waitFor(
            async () =>
              (await hu.client.call(attachmentRoutes.ofCase, { params: { id: caseId } })).attachments[0]
                ?.state === 'complete',
            { timeoutMs: 300_000, intervalMs: 10, description: 'HU to hold the attachment' },
          )
          rates.push(mib / ((performance.now() - start) / 1000))
          cpu.receiver.push(((await cpuMsOf(hu.process!.pid)) - huCpu) / mib)
          cpu.sender.push(((await cpuMsOf(fr.process!.pid)) - frCpu) / mib)
          const stream = await bareStream(mib)
          bare.push(mib / stream.seconds)
          cpu.bare.push(stream.cpuMs / mib)
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
        return {
          value: median(rates),
          baseline: median(bare),
          baselineName: `a bare libp2p stream (TCP, Noise, Yamux) carrying the same ${mib} MiB in 1 MiB frames`,
          note: 'ratio = pocnet / bare stream (higher is better; goal ≥ 0.5)',
          extra: {
            mib,
            receiverCpuMsPerMiB: median(cpu.receiver),
            senderCpuMsPerMiB: median(cpu.sender),
            bareCpuMsPerMiB: median(cpu.bare),
          },
        }
      } finally {
        await Promise.all(fed.nodes.map((n) => stopNode(n, { expectClean: false }).catch(() => {})))
        await fed.cleanup()
      }
    },
  },
]
