import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { NodeIdentity } from '@pocnet/crypto'
import { createLibp2p } from 'libp2p'
import {
  type ContactDetails,
  Directory,
  DirectoryMemory,
  type DirectoryRecord,
  type DirectoryStore,
  directoryDht,
  encodeRosterBody,
  encodeRosterDocument,
  type RejectionListener,
  type RosterBody,
  RosterKeeper,
  type RosterMember,
  RosterSync,
  rosterConnectionGater,
  signRosterBody,
} from '../src/index.ts'

/** Test helpers: real libp2p nodes on 127.0.0.1 wired exactly as the node package will wire them. */

export const NETWORK = 'pocnet-test'

/** n distinct two-letter codes: AA, AB, ... */
export function countryCodes(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => String.fromCharCode(65 + Math.floor(i / 26)) + String.fromCharCode(65 + (i % 26)),
  )
}

export interface Founders {
  identities: NodeIdentity[]
  countries: string[]
  members: RosterMember[]
  chain: Uint8Array[]
}

/** A roster document signed by `signers`. */
export function signedDocument(body: RosterBody, signers: NodeIdentity[]): Uint8Array {
  const bodyBytes = encodeRosterBody(body)
  return encodeRosterDocument(
    bodyBytes,
    signers.map((s) => signRosterBody(s, bodyBytes)),
  )
}

/** A genesis roster of `n` identities (fresh unless given) with threshold `threshold`, signed by all. */
export function makeFounders(
  n: number,
  threshold: number,
  identities = Array.from({ length: n }, () => NodeIdentity.generate()),
): Founders {
  const countries = countryCodes(n)
  const members = identities.map((id, i) => ({
    country: countries[i]!,
    name: `Country ${countries[i]}`,
    publicKey: id.signingPublicKey,
  }))
  const genesis = signedDocument(
    { kind: 'genesis', network: NETWORK, version: 0, createdAt: 1_700_000_000_000, threshold, members },
    identities,
  )
  return { identities, countries, members, chain: [genesis] }
}

export function contactDetails(identity: NodeIdentity, unit = '24/7 desk'): ContactDetails {
  return {
    contactKind: 'investigative',
    unit,
    phone: '+33140000000',
    email: 'desk@example.org',
    languages: ['en', 'fr'],
    timeZone: 'Europe/Paris',
    services: ['technical-advice', 'preservation'],
    mlaAuthority: { name: 'Ministry of Justice', email: 'mla@example.org' },
    reservations: [],
    boxPublicKey: identity.boxPublicKey,
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
  }
}

export interface Member {
  identity: NodeIdentity
  country: string
  libp2p: Libp2p<{ dht: KadDHT }>
  keeper: RosterKeeper
  memory: DirectoryMemory
  directory: Directory
  sync: RosterSync
}

export interface StartOptions {
  identity: NodeIdentity
  country: string
  chain: Uint8Array[]
  store?: DirectoryStore
  now?: () => number
  cacheFreshMs?: number
  /** Replaces the roster gater (for a deliberately misbehaving test node). */
  gater?: ConnectionGater
  /** Told of every rejection by the DHT validator, the directory and roster sync. */
  onRejected?: RejectionListener
}

/** Starts one member node: libp2p + kad-dht with the directory rules, roster gater, sync and directory. */
export async function startMember(opts: StartOptions): Promise<Member> {
  const keeper = new RosterKeeper({ chain: opts.chain })
  const memory = await DirectoryMemory.open(opts.store)
  const getRoster = () => keeper.state
  const libp2p = await createLibp2p({
    privateKey: opts.identity.privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: opts.gater ?? rosterConnectionGater(getRoster),
    connectionManager: { allow: ['/ip4/127.0.0.1'] },
    services: {
      identify: identify(),
      ping: ping(),
      dht: directoryDht({ getRoster, memory, now: opts.now, onRejected: opts.onRejected }),
    },
  })
  const directory = new Directory({
    libp2p,
    dht: libp2p.services.dht,
    identity: opts.identity,
    country: opts.country,
    getRoster,
    memory,
    now: opts.now,
    cacheFreshMs: opts.cacheFreshMs ?? 0,
    dhtQueryTimeoutMs: 5_000,
    requestTimeoutMs: 3_000,
    onRejected: opts.onRejected,
  })
  const sync = new RosterSync({ libp2p, keeper, requestTimeoutMs: 3_000, onRejected: opts.onRejected })
  await sync.start()
  await directory.start()
  return { identity: opts.identity, country: opts.country, libp2p, keeper, memory, directory, sync }
}

/** Starts a member per founder, then connects each node to every earlier one. */
export async function startNetwork(founders: Founders): Promise<Member[]> {
  const members = await Promise.all(
    founders.identities.map((identity, i) =>
      startMember({ identity, country: founders.countries[i]!, chain: founders.chain }),
    ),
  )
  await connectMesh(members)
  return members
}

/** Dials each node to up to `fanout` earlier nodes (all of them by default) and waits for the DHT routing tables. */
export async function connectMesh(members: Member[], fanout = Number.POSITIVE_INFINITY): Promise<void> {
  await Promise.all(
    members.map(async (m, i) => {
      const earlier = members.slice(Math.max(0, i - fanout), i)
      for (const other of earlier)
        await m.libp2p.dial(other.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    }),
  )
  await waitFor(
    () => members.every((m) => routingTableSize(m) >= Math.min(members.length - 1, fanout)),
    'DHT routing tables to fill',
  )
}

function routingTableSize(m: Member): number {
  return (m.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

/** Stops nodes, each bounded so a stuck stop cannot hang the suite. */
export async function stopAll(members: Array<Member | undefined>): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      if (m === undefined) return
      await m.directory.stop().catch(() => {})
      await m.sync.stop().catch(() => {})
      await Promise.race([m.libp2p.stop(), new Promise((resolve) => setTimeout(resolve, 3_000))])
    }),
  )
}

/** Polls `condition` (every 50 ms) until it holds, or fails after `timeoutMs` naming what it waited for. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A record of `country` issued a second before `now`, valid a day, with seq 5 unless `over` says otherwise. */
export function recordAt(
  now: number,
  identity: NodeIdentity,
  country: string,
  over: Partial<DirectoryRecord> = {},
): DirectoryRecord {
  return {
    ...contactDetails(identity),
    country,
    seq: 5,
    issuedAt: now - 1000,
    expiresAt: now + 86_400_000,
    ...over,
  }
}
