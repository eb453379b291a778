/**
 * A child process of the directory lookup benchmark: runs some of the federation's member nodes
 * (libp2p + kad-dht with the directory rules + Directory) and answers the parent's commands over
 * IPC (advanced serialisation, so bytes pass as they are). Lookups are timed here, in the process
 * that runs them, so IPC is not in the figure.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { type IdentitySecrets, NodeIdentity } from '@pocnet/crypto'
import {
  type ContactDetails,
  Directory,
  DirectoryMemory,
  directoryDht,
  type LookupOptions,
  RecordNotFoundError,
  RosterKeeper,
  rosterConnectionGater,
  VerifiedRecords,
} from '@pocnet/directory'
import { createLibp2p } from 'libp2p'

/** What the parent asks; every command is answered with `{ id, ok, ... }`. */
export type NodesCommand =
  | {
      id: number
      type: 'start'
      genesis: Uint8Array
      members: Array<{ country: string; secrets: IdentitySecrets }>
    }
  | { id: number; type: 'connect'; peers: Array<{ country: string; addresses: string[] }>; order: string[] }
  | { id: number; type: 'ready'; minTable: number }
  | { id: number; type: 'publish' }
  | { id: number; type: 'lookup'; from: string; to: string; sources: NonNullable<LookupOptions['sources']> }
  | { id: number; type: 'stop' }

export type NodesAnswer =
  | {
      id: number
      ok: true
      addresses?: Record<string, string[]>
      ms?: number
      source?: string
      count?: number
    }
  | { id: number; ok: false; error: string }

interface BenchNode {
  libp2p: Libp2p<{ dht: KadDHT }>
  directory: Directory
  identity: NodeIdentity
  country: string
}

const nodes = new Map<string, BenchNode>()

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

async function startNode(genesis: Uint8Array, country: string, secrets: IdentitySecrets): Promise<BenchNode> {
  const identity = new NodeIdentity(secrets)
  const keeper = new RosterKeeper({ chain: [genesis] })
  const getRoster = () => keeper.state
  const memory = await DirectoryMemory.open()
  const verified = new VerifiedRecords()
  const libp2p = await createLibp2p({
    privateKey: identity.privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: rosterConnectionGater(getRoster),
    connectionManager: { allow: ['/ip4/127.0.0.1'] },
    services: { identify: identify(), ping: ping(), dht: directoryDht({ getRoster, memory, verified }) },
  })
  // every lookup goes to the network: the cache is never fresh
  const directory = new Directory({
    libp2p,
    dht: libp2p.services.dht,
    identity,
    country,
    getRoster,
    memory,
    verified,
    cacheFreshMs: 0,
  })
  await directory.start()
  return { libp2p, directory, identity, country }
}

function node(country: string): BenchNode {
  const found = nodes.get(country)
  if (found === undefined) throw new Error(`no node of ${country} in this process`)
  return found
}

/**
 * A Multiaddr from its text, made from one of `n`'s own: the bench has no dependency on
 * @multiformats/multiaddr, and an address wrapped in the empty one parses the text.
 */
function parseAddress(n: BenchNode, text: string): ReturnType<Libp2p['getMultiaddrs']>[number] {
  const own = n.libp2p.getMultiaddrs()[0]
  if (own === undefined) throw new Error(`the node of ${n.country} listens nowhere`)
  return own.decapsulate(own).encapsulate(text)
}

const tableSize = (n: BenchNode) =>
  (n.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size

async function run(command: NodesCommand): Promise<NodesAnswer> {
  switch (command.type) {
    case 'start': {
      for (const m of command.members)
        nodes.set(m.country, await startNode(command.genesis, m.country, m.secrets))
      const addresses: Record<string, string[]> = {}
      for (const [country, n] of nodes) addresses[country] = n.libp2p.getMultiaddrs().map(String)
      return { id: command.id, ok: true, addresses }
    }
    case 'connect': {
      // each pair is dialled once, by the later node in the federation's order; a dial that fails
      // is counted (the DHT still finds the peer through the others), not fatal
      const rank = new Map(command.order.map((c, i) => [c, i]))
      let failed = 0
      await Promise.all(
        [...nodes.values()].map(async (n) => {
          for (const peer of command.peers) {
            if ((rank.get(peer.country) ?? 0) >= (rank.get(n.country) ?? 0)) continue
            const addresses = peer.addresses.map((a) => parseAddress(n, a))
            await n.libp2p.dial(addresses, { signal: AbortSignal.timeout(60_000) }).catch(() => failed++)
          }
        }),
      )
      return { id: command.id, ok: true, count: failed }
    }
    case 'ready': {
      // the smallest routing table once all reach minTable, or when the wait is over
      const deadline = Date.now() + 90_000
      const smallest = () => Math.min(...[...nodes.values()].map(tableSize))
      while (smallest() < command.minTable && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      return { id: command.id, ok: true, count: smallest() }
    }
    case 'publish': {
      for (const n of nodes.values()) await n.directory.publish(details(n.identity, n.country))
      return { id: command.id, ok: true }
    }
    case 'lookup': {
      const from = node(command.from)
      const start = performance.now()
      const found = await from.directory
        .lookup(command.to, { sources: command.sources, signal: AbortSignal.timeout(10_000) })
        .catch((err: Error) => {
          if (err instanceof RecordNotFoundError) return undefined
          throw err
        })
      return { id: command.id, ok: true, ms: performance.now() - start, source: found?.source ?? 'none' }
    }
    case 'stop': {
      await Promise.all(
        [...nodes.values()].map(async (n) => {
          await n.directory.stop()
          await Promise.race([n.libp2p.stop(), new Promise((resolve) => setTimeout(resolve, 3_000))])
        }),
      )
      nodes.clear()
      return { id: command.id, ok: true }
    }
  }
}

process.on('message', (command: NodesCommand) => {
  run(command).then(
    (answer) => process.send?.(answer),
    (err: Error) => process.send?.({ id: command.id, ok: false, error: err.message }),
  )
})

// the parent went away (it failed or was stopped): nothing is left to serve
process.on('disconnect', () => process.exit(0))
