/**
 * The path users take, against what a central server would do. pocnet: a burst of messages through
 * the outbox (accept, durable outbox entry, directory, seal, send with 32 in flight, the receiver's
 * durable append and signed receipt, the receipt stored at the sender), from the first submission
 * to the last receipt stored. The baseline: a central HTTPS server with mutual TLS (its own process,
 * a CA made at run time) taking Ed25519-signed JSON with the same 2 KiB payload, one line per
 * message in a grouped fsync'd log, answering a signed receipt, 32 requests in flight over
 * keep-alive connections.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type BenchEntry, measureLatencies, median, spreadOf } from '../harness.ts'
import { startHttpsBaseline } from '../https-mtls/client.ts'
import { IN_FLIGHT, PAYLOAD_BYTES, type Pair, startPair, throughput } from '../node-pair.ts'

/** CPU seconds this process and process `pid` have used so far (Linux /proc, 100 ticks a second). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  const own = process.cpuUsage()
  return (Number(fields[11]) + Number(fields[12])) / 100 + (own.user + own.system) / 1e6
}

/** Runs `work` and returns the CPU it cost this process and process `pid`, in ms per message. */
async function cpuMsPerMessage(pid: number, messages: number, work: () => Promise<unknown>): Promise<number> {
  const before = await cpuSeconds(pid)
  await work()
  return ((await cpuSeconds(pid)) - before) * (1000 / messages)
}

/** Receipted messages per second through IT's outbox, for a burst of `total` submissions. */
async function outboxRate(pair: Pair, total: number): Promise<number> {
  const { outbox } = pair.a
  let delivered = 0
  let offDelivered = () => {}
  let offFailed = () => {}
  const allDelivered = new Promise<void>((resolve, reject) => {
    offDelivered = outbox.on('delivered', () => {
      if (++delivered === total) resolve()
    })
    offFailed = outbox.on('failed', ({ outcome }) =>
      reject(new Error(`a benchmark message failed: ${JSON.stringify(outcome)}`)),
    )
  })
  try {
    const start = performance.now()
    await Promise.all(
      Array.from({ length: total }, () =>
        outbox.submit({
          to: 'FR',
          caseId: 'bench',
          kind: 'bench',
          payload: randomBytes(PAYLOAD_BYTES),
          actor: 'node',
        }),
      ),
    )
    await allDelivered
    return (total * 1000) / (performance.now() - start)
  } finally {
    offDelivered()
    offFailed()
  }
}

export const entries: BenchEntry[] = [
  {
    name: 'send path: outbox vs central HTTPS+mTLS (2 KiB, 32 in flight)',
    unit: 'msg/s',
    async run({ quick }) {
      const pair = await startPair()
      const https = await startHttpsBaseline({ payloadBytes: PAYLOAD_BYTES, sockets: IN_FLIGHT })
      try {
        const perRound = quick ? 200 : 2000
        await outboxRate(pair, 100)
        await throughput(https.send, 200, IN_FLIGHT)
        const outbox: number[] = []
        const central: number[] = []
        // interleaved so that noise on the machine hits both
        for (let i = 0; i < 3; i++) {
          outbox.push(await outboxRate(pair, perRound))
          central.push(await throughput(https.send, perRound, IN_FLIGHT))
        }
        // what each message costs in CPU, both ends together: the figure a loaded machine moves least
        const cpuRound = quick ? 200 : 1000
        const outboxCpuMs = await cpuMsPerMessage(pair.receiverPid, cpuRound, () =>
          outboxRate(pair, cpuRound),
        )
        const httpsCpuMs = await cpuMsPerMessage(https.serverPid, cpuRound, () =>
          throughput(https.send, cpuRound, IN_FLIGHT),
        )
        const httpsLatencies = await measureLatencies(https.send, quick ? 100 : 1000)
        return {
          value: median(outbox),
          baseline: median(central),
          baselineName:
            "central HTTPS server with mTLS: Ed25519-signed JSON, grouped fsync'd log, signed receipt, 32 in flight, keep-alive",
          spread: spreadOf(outbox),
          note:
            'targets: ≥ 1,000 msg/s and ratio ≥ 0.5; extra: the HTTPS p50 one request at a time, and the CPU ' +
            'per message of sender and receiver processes together (the idle side of the other pair included)',
          extra: {
            httpsP50Ms: median(httpsLatencies),
            outboxCpuMsPerMessage: outboxCpuMs,
            httpsCpuMsPerMessage: httpsCpuMs,
          },
        }
      } finally {
        await https.stop()
        await pair.stop()
      }
    },
  },
]
