/**
 * Two daemons for the node benchmarks: FR a real daemon process, IT in the benchmark's process so
 * it can drive IT's host and outbox directly, plus the bare libp2p round trips they are measured
 * against.
 */
import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { createLogger, DELIVERY_PROTOCOL, PocnetDaemon } from '@pocnet/node'
import { MAX_RECEIPT_BYTES, seal, verifyReceipt } from '@pocnet/protocol'
import { RequestStreams } from '@pocnet/protocol/reqresp'
import { createFederation, type Federation, spawnNode, stopNode, waitFor } from '@pocnet/test-utils'

export const PAYLOAD_BYTES = 2048
export const IN_FLIGHT = 32

export interface Pair {
  fed: Federation
  a: PocnetDaemon
  /** FR's daemon process. */
  receiverPid: number
  deliver: () => Promise<void>
  /** The same bytes over the same kind of reused stream: the floor of pocnet's own path. */
  bare: () => Promise<void>
  /** The same bytes on a new stream per request: libp2p's plain request/response, the baseline. */
  barePerStream: () => Promise<void>
  stop: () => Promise<void>
}

/**
 * Two daemons: FR a real daemon process, IT in this process so the benchmark can drive its
 * host through the node's own sending path (reused streams). The baseline is a bare libp2p
 * request/response — a new stream per request — of the same sizes on the same connection to
 * the same daemon: an envelope-sized frame that is not CBOR, which FR answers at once with a
 * signed "malformed" receipt (so the baseline also pays one receipt signature). The same bare
 * frames over reused streams are reported beside it, as the floor of pocnet's path.
 */
export async function startPair(): Promise<Pair> {
  const fed = await createFederation({
    countries: ['IT', 'FR'],
    configure: (config) => ({ ...config, delivery: { ...config.delivery, perPeerPerMinute: 10_000_000 } }),
  })
  const [itNode, frNode] = [fed.nodes[0]!, fed.nodes[1]!]
  await spawnNode(frNode, { env: { POCNET_LOG_LEVEL: 'error' } })
  const a = await PocnetDaemon.start({
    dataDir: itNode.dataDir,
    passphrase: itNode.passphrase,
    log: createLogger({ level: 'error' }),
  })
  await waitFor(() => a.health().peersConnected > 0, {
    timeoutMs: 30_000,
    description: 'IT to connect to FR',
  })
  await a.publishOwnRecord()
  const fr = frNode.identity
  const payload = new Uint8Array(randomBytes(PAYLOAD_BYTES))
  // sealed as the node seals to a country advertising its X-Wing key (both nodes do by default)
  const recipient = {
    signingPublicKey: fr.signingPublicKey,
    boxPublicKey: fr.boxPublicKey,
    kemPublicKey: fr.kemPublicKey!,
  }
  const network = a.config.network
  // the node's own sending path: streams to FR kept open and reused, one request in flight on each
  const streams = new RequestStreams(a.host, DELIVERY_PROTOCOL, {
    maxResponseBytes: MAX_RECEIPT_BYTES,
    timeoutMs: a.config.delivery.readTimeoutMs,
  })
  const roundTrip = (bytes: Uint8Array): Promise<Uint8Array> => streams.request(fr.peerId, fr.peerId, bytes)
  const perStream = async (bytes: Uint8Array): Promise<void> => {
    const stream = await a.host.dialProtocol(fr.peerId, DELIVERY_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: MAX_RECEIPT_BYTES })
    await lp.write(bytes)
    await lp.read()
    await stream.close()
  }
  const deliver = async () => {
    const sealed = seal({
      sender: a.identity,
      recipient,
      networkId: network,
      caseId: 'bench',
      kind: 'bench',
      payload,
    })
    const checked = verifyReceipt(await roundTrip(sealed.bytes), {
      receiverPublicKey: fr.signingPublicKey,
      networkId: network,
      envelopeHash: sealed.envelopeHash,
    })
    if (!checked.ok || checked.receipt.status !== 'accepted')
      throw new Error('benchmark envelope not accepted')
  }
  const sampleLength = seal({
    sender: a.identity,
    recipient,
    networkId: network,
    caseId: 'bench',
    kind: 'bench',
    payload,
  }).bytes.length
  const notCbor = new Uint8Array(randomBytes(sampleLength))
  notCbor[0] = 0x00 // a CBOR integer followed by trailing bytes: refused at the first check
  const bare = async () => {
    await roundTrip(notCbor)
  }
  const barePerStream = () => perStream(notCbor)
  // FR learns IT's box key on the first envelope; warm it before measuring
  await deliver()
  return {
    fed,
    a,
    deliver,
    bare,
    barePerStream,
    receiverPid: frNode.process!.pid,
    stop: async () => {
      await streams.close()
      await a.stop()
      await stopNode(frNode)
      await fed.cleanup()
    },
  }
}

/** Messages per second with `inFlight` concurrent round trips, over `total` messages. */
export async function throughput(op: () => Promise<void>, total: number, inFlight: number): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await op()
    }),
  )
  return (total * 1000) / (performance.now() - start)
}
