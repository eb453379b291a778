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
import { type BenchEntry, measureLatencies, median, spreadOf } from '../harness.ts'
import { startHttpsBaseline } from '../https-mtls/client.ts'
import { IN_FLIGHT, PAYLOAD_BYTES, type Pair, startPair, throughput } from '../node-pair.ts'

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
        const httpsLatencies = await measureLatencies(https.send, quick ? 100 : 1000)
        return {
          value: median(outbox),
          baseline: median(central),
          baselineName:
            "central HTTPS server with mTLS: Ed25519-signed JSON, grouped fsync'd log, signed receipt, 32 in flight, keep-alive",
          spread: spreadOf(outbox),
          note: 'targets: ≥ 1,000 msg/s and ratio ≥ 0.5; extra.httpsP50Ms is one request at a time',
          extra: { httpsP50Ms: median(httpsLatencies) },
        }
      } finally {
        await https.stop()
        await pair.stop()
      }
    },
  },
]
