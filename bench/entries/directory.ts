/**
 * Directory lookup latency, cache cold (every lookup is a kad-dht GET across the network,
 * validated and selected by the directory rules), in a loopback network of member nodes;
 * the baseline is a bare libp2p request/response of the record's size between the same pair
 * of nodes on their open connection, measured interleaved in the same run.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { type KadDHT, kadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { NodeIdentity } from '@pocnet/crypto'
import {
  type ContactDetails,
  Directory,
  DirectoryMemory,
  directoryDhtOptions,
  encodeRosterBody,
  encodeRosterDocument,
  RosterKeeper,
  rosterConnectionGater,
  signRosterBody,
} from '@pocnet/directory'
import { createLibp2p } from 'libp2p'
import { type BenchEntry, type BenchResult, median, percentile, spreadOf } from '../harness.ts'

const ECHO_PROTOCOL = '/pocnet-bench/echo/1.0.0'

interface BenchNode {
  libp2p: Libp2p<{ dht: KadDHT }>
  directory: Directory
  country: string
}

function details(identity: NodeIdentity, country: string): ContactDetails {
  return {
    contactKind: 'telecom-centre',
    unit: `National 24/7 point of contact of ${country}`,
    phone: '+3214000000',
    email: `poc@${country.toLowerCase()}.example.org`,
    languages: ['en', 'fr', 'de'],
    timeZone: 'Europe/Brussels',
    services: ['technical-advice', 'preservation', 'traffic-data-disclosure', 'evidence-collection'],
    mlaAuthority: { name: 'Central authority for mutual legal assistance', email: 'mla@example.org' },
    reservations: ['Art. 29(4): dual criminality may be required for offences outside Arts 2-11'],
    boxPublicKey: identity.boxPublicKey,
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
  }
}

async function startNetwork(n: number): Promise<BenchNode[]> {
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
  const nodes = await Promise.all(
    identities.map(async (identity, i) => {
      const keeper = new RosterKeeper({ chain: [genesis] })
      const getRoster = () => keeper.state
      const memory = await DirectoryMemory.open()
      const libp2p = await createLibp2p({
        privateKey: identity.privateKey,
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionGater: rosterConnectionGater(getRoster),
        connectionManager: { allow: ['/ip4/127.0.0.1'] },
        services: {
          identify: identify(),
          ping: ping(),
          dht: kadDHT(directoryDhtOptions({ getRoster, memory })),
        },
      })
      const directory = new Directory({
        libp2p,
        dht: libp2p.services.dht,
        identity,
        country: countries[i]!,
        getRoster,
        memory,
        cacheFreshMs: 0,
      })
      await directory.start()
      return { libp2p, directory, country: countries[i]!, identity }
    }),
  )
  for (const [i, node] of nodes.entries()) {
    await Promise.all(
      nodes
        .slice(0, i)
        .map((other) =>
          node.libp2p.dial(other.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) }),
        ),
    )
  }
  const deadline = Date.now() + 20_000
  const tableSize = (x: BenchNode) =>
    (x.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
  while (!nodes.every((x) => tableSize(x) >= Math.min(n - 1, 20))) {
    if (Date.now() > deadline) throw new Error('DHT routing tables did not fill')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  let recordSize = 0
  for (const node of nodes) {
    const published = await node.directory.publish(details(node.identity, node.country))
    recordSize = published.bytes.length
  }
  const response = new Uint8Array(recordSize).fill(7)
  for (const node of nodes) {
    await node.libp2p.handle(ECHO_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      await lp.read({ signal: AbortSignal.timeout(5_000) })
      await lp.write(response, { signal: AbortSignal.timeout(5_000) })
      await stream.close()
    })
  }
  return nodes
}

async function bareRequest(from: BenchNode, to: BenchNode): Promise<void> {
  const signal = AbortSignal.timeout(10_000)
  const stream = await from.libp2p.dialProtocol(to.libp2p.peerId, ECHO_PROTOCOL, { signal })
  const lp = lpStream(stream)
  await lp.write(new TextEncoder().encode(`{"country":"${to.country}"}`), { signal })
  await lp.read({ signal })
  await stream.close({ signal })
}

async function stopAll(nodes: BenchNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      await node.directory.stop()
      await Promise.race([node.libp2p.stop(), new Promise((resolve) => setTimeout(resolve, 3_000))])
    }),
  )
}

async function lookupBench(ctx: { quick: boolean }): Promise<BenchResult> {
  const n = ctx.quick ? 10 : 30
  const samples = ctx.quick ? 60 : 300
  const nodes = await startNetwork(n)
  try {
    const lookups: number[] = []
    const bare: number[] = []
    for (let i = 0; i < samples; i++) {
      const from = nodes[i % n]!
      const to = nodes[(i + 1 + Math.floor(Math.random() * (n - 1))) % n]!
      let start = performance.now()
      const found = await from.directory.lookup(to.country, {
        sources: ['dht'],
        signal: AbortSignal.timeout(10_000),
      })
      if (found.source !== 'dht') throw new Error(`lookup answered from ${found.source}, not the DHT`)
      lookups.push(performance.now() - start)
      start = performance.now()
      await bareRequest(from, to)
      bare.push(performance.now() - start)
    }
    // the first round also pays for stream and key-object warm-up: drop it from both
    const warm = (xs: number[]) => xs.slice(n)
    const value = median(warm(lookups))
    const baseline = median(warm(bare))
    return {
      value,
      baseline,
      baselineName: `bare libp2p request/response of the record's size on an open connection (${n} nodes)`,
      ratio: value / baseline,
      spread: spreadOf(warm(lookups)),
      note: 'value and baseline are p50 latencies; ratio = value / baseline',
      extra: {
        nodes: n,
        samples: warm(lookups).length,
        p95: percentile(warm(lookups), 95),
        baselineP95: percentile(warm(bare), 95),
      },
    }
  } finally {
    await stopAll(nodes)
  }
}

export const entries: BenchEntry[] = [
  {
    name: 'directory lookup, DHT get, cache cold',
    unit: 'ms',
    run: lookupBench,
  },
]
