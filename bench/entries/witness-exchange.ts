/**
 * A cosignature round trip over libp2p: a member asks a witness on /pocnet/witness/1.0.0 to
 * cosign its next checkpoint (old size, consistency proof, signed note) and checks the
 * cosignature it gets back. The witness is a real daemon process; it verifies the note and the
 * proof, stores the checkpoint (fsync'd) and signs a cosignature/v1 line. The asker is a daemon in
 * this process whose own collector is stopped, so the benchmark alone drives the exchanges.
 *
 * Baseline: the bare request/response on the same reqresp layer (a fresh stream per request,
 * `requestOnce`) to the same daemon on the same connection, with a request of the same size that
 * the daemon answers at once: a non-CBOR frame on the delivery protocol, refused with a signed
 * receipt (so the baseline also pays one signature, as the witness does).
 */
import { randomBytes } from 'node:crypto'
import {
  memberWitnessName,
  parseCosignature,
  type SignedCheckpoint,
  splitNote,
  verifyCosignature,
} from '@pocnet/ledger'
import {
  createLogger,
  DELIVERY_PROTOCOL,
  decodeWitnessAnswer,
  encodeWitnessRequest,
  MAX_WITNESS_ANSWER_BYTES,
  PocnetDaemon,
  WITNESS_PROTOCOL,
  type WitnessAnswer,
} from '@pocnet/node'
import { MAX_RECEIPT_BYTES } from '@pocnet/protocol'
import { requestOnce } from '@pocnet/protocol/reqresp'
import { createFederation, spawnNode, stopNode, waitFor } from '@pocnet/test-utils'
import { type BenchEntry, measureLatencies, median, percentile, spreadOf } from '../harness.ts'

const EXCHANGE_TIMEOUT_MS = 10_000
const BLOCKS = 10

/** One step of the asker's log: the checkpoint to send and the proof from the previous one. */
interface Step {
  oldSize: number
  consistencyProof: Uint8Array[]
  checkpoint: SignedCheckpoint
}

export const entries: BenchEntry[] = [
  {
    name: 'witness cosignature round trip p50 (/pocnet/witness, loopback)',
    unit: 'ms',
    async run({ quick }) {
      const fed = await createFederation({ countries: ['IT', 'FR'] })
      const [itNode, frNode] = [fed.nodes[0]!, fed.nodes[1]!]
      let it: PocnetDaemon | undefined
      try {
        await spawnNode(frNode, { env: { POCNET_LOG_LEVEL: 'error' } })
        it = await PocnetDaemon.start({
          dataDir: itNode.dataDir,
          passphrase: itNode.passphrase,
          log: createLogger({ level: 'error' }),
        })
        const asker = it
        asker.cosignatures.stop()
        await waitFor(() => asker.health().peersConnected > 0, {
          timeoutMs: 30_000,
          description: 'IT to connect to FR',
        })
        const fr = frNode.identity
        const witnessName = memberWitnessName(fed.network, 'FR')
        const ask = (request: Uint8Array): Promise<WitnessAnswer> =>
          requestOnce(asker.host, fr.peerId, WITNESS_PROTOCOL, request, {
            maxResponseBytes: MAX_WITNESS_ANSWER_BYTES,
            signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
            decode: decodeWitnessAnswer,
          })

        // the steps of IT's log, built before measuring: one entry and one checkpoint each
        const perBlock = quick ? 10 : 100
        const count = perBlock * BLOCKS + 1
        const steps: Step[] = []
        let previous = 0
        for (let i = 0; i < count; i++) {
          await asker.ledger.append({ kind: 'admin-action', actor: 'node', detail: { action: 'bench', i } })
          const checkpoint = await asker.ledger.checkpoint()
          const consistencyProof =
            previous === 0 ? [] : await asker.ledger.consistencyProof(previous, checkpoint.size)
          steps.push({ oldSize: previous, consistencyProof, checkpoint })
          previous = checkpoint.size
        }
        // the witness may hold an earlier checkpoint of IT's from before the collector stopped
        let next = 0
        const first = steps[0]!
        const sync = await ask(encodeWitnessRequest({ ...first, checkpointNote: first.checkpoint.note }))
        if ('cosignature' in sync) next = 1
        else if (sync.heldSize === undefined) throw new Error(`the witness refused: ${sync.message}`)
        else {
          first.oldSize = sync.heldSize
          first.consistencyProof =
            sync.heldSize === 0
              ? []
              : await asker.ledger.consistencyProof(sync.heldSize, first.checkpoint.size)
        }
        const cosign = async () => {
          const step = steps[next++]!
          const request = encodeWitnessRequest({
            oldSize: step.oldSize,
            consistencyProof: step.consistencyProof,
            checkpointNote: step.checkpoint.note,
          })
          const answer = await ask(request)
          if (!('cosignature' in answer))
            throw new Error(`the witness refused size ${step.checkpoint.size}: ${answer.message}`)
          const cosignature = parseCosignature(answer.cosignature)
          if (
            cosignature.name !== witnessName ||
            !verifyCosignature(splitNote(step.checkpoint.note).text, cosignature, fr.signingPublicKey)
          )
            throw new Error('the cosignature does not verify')
        }
        if (next === 0) await cosign() // the first, from the size the witness holds

        const requestBytes = encodeWitnessRequest({
          oldSize: steps[1]!.oldSize,
          consistencyProof: steps[1]!.consistencyProof,
          checkpointNote: steps[1]!.checkpoint.note,
        }).length
        const notCbor = new Uint8Array(randomBytes(requestBytes))
        notCbor[0] = 0x00 // a CBOR integer followed by trailing bytes: refused at the first check
        const bare = async () => {
          await requestOnce(asker.host, fr.peerId, DELIVERY_PROTOCOL, notCbor, {
            maxResponseBytes: MAX_RECEIPT_BYTES,
            signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
            decode: (frame) => frame,
          })
        }
        await measureLatencies(bare, 20)
        const cosigned: number[] = []
        const baseline: number[] = []
        // interleaved in blocks so machine noise hits both
        for (let b = 0; b < BLOCKS; b++) {
          cosigned.push(...(await measureLatencies(cosign, perBlock)))
          baseline.push(...(await measureLatencies(bare, perBlock)))
        }
        return {
          value: median(cosigned),
          baseline: median(baseline),
          baselineName:
            'bare request/response (requestOnce) of the same size to the same daemon, same connection (answered with a signed refusal)',
          ratio: median(cosigned) / median(baseline),
          spread: spreadOf(cosigned),
          note: 'ratio = cosignature round trip / bare request/response (lower is better)',
          extra: {
            p99: percentile(cosigned, 99),
            baselineP99: percentile(baseline, 99),
            requestBytes,
            proofHashes: steps[1]!.consistencyProof.length,
          },
        }
      } finally {
        await it?.stop()
        await stopNode(frNode).catch(() => {})
        await fed.cleanup()
      }
    },
  },
]
