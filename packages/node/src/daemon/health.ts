import { toHex } from '@pocnet/crypto'
import type { RosterState } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import type { FrameBudget } from '@pocnet/protocol/reqresp'
import type { NodeConfig } from '../config.ts'
import type { ConnectionGuard, ConnectionRefusal } from '../connection-guard.ts'
import type { DeliveryReceiver } from '../delivery.ts'
import type { Host } from '../host.ts'
import type { LogThrottle } from '../log.ts'
import type { Outbox } from '../outbox.ts'
import type { PeerRejections } from '../peer-rejections.ts'
import type { MemberReadPause } from '../read-pause.ts'
import type { KeyRetirement } from '../retirement.ts'
import type { EquivocationAlarm, EquivocationAlert } from '../witness/alarm.ts'
import type { CosignatureCollector, CosignatureStatus } from '../witness/collector.ts'
import type { MemberWitness } from '../witness/member-witness.ts'
import type { DirectoryPublication, PublicationStatus } from './publication-status.ts'

export interface Health {
  country: string
  network: string
  peerId: string
  addresses: string[]
  rosterVersion: number
  /**
   * How this node seals and opens requests: `hybrid` (its record advertises its X-Wing key; it seals
   * hybrid to countries that advertise one and refuses their classical envelopes), or `classical`.
   */
  sealing: 'hybrid' | 'classical'
  peersConnected: number
  connectedCountries: string[]
  outboxDepth: number
  oldestUndeliveredAt: number | null
  delivered: number
  received: number
  /** Cases with messages whose stored payload cannot be read (`pocnet inbox` lists them as damaged). */
  damagedCases: number
  /**
   * Rejections since start by reason: delivery's (docs/protocol.md), `dht-refused`,
   * `dht-foreign-key`, and the
   * directory's: `dht-record-<problem>`, `dir-fetch-<reason>`, `roster-<reason>`.
   */
  rejected: Record<string, number>
  /** Peers the roster gater refused (non-members), since start: `connectionRefusals['non-member']`. */
  refusedConnections: number
  /**
   * Bytes held now in frames being read (`frameBudget` in config.json), and by how many members;
   * frames refused over it are counted in `rejected` as `over-budget`. `readPauses`: times a member
   * over its share was no longer read (read-pause.ts) since start; `pausedMembers`: how many are now.
   */
  frameBudget: {
    totalBytes: number
    perMemberBytes: number
    heldBytes: number
    holders: number
    readPauses: number
    pausedMembers: number
  }
  /** The daemon process's memory now (`process.memoryUsage()`), bytes. */
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; arrayBuffersBytes: number }
  /**
   * Connections refused or cut before they carried anything, since start, by reason (only reasons
   * that occurred): ConnectionRefusal of connection-guard.ts.
   */
  connectionRefusals: Partial<Record<ConnectionRefusal, number>>
  ledgerSize: number
  /**
   * Earlier node keys whose message bodies this node cannot open (rotated without the old key:
   * lost or compromised). Their entries are still there and verify.
   */
  keysWithSealedBlobs: number
  /** How and when the roster took this node's key back (rotated or revoked), else null. */
  keyRetired: { how: 'rotated' | 'revoked'; atVersion: number } | null
  /** Dials refused here since the key was retired: the node dials nobody then. */
  dialsWhileRetired: number
  lastCheckpoint: { size: number; rootHex: string } | null
  /** This node's own directory record: published, or why not (publication-status.ts). */
  directory: DirectoryPublication
  /** Witnessing: who cosigned this ledger, the policy, and the equivocations this node knows of. */
  witness: WitnessHealth
  startedAt: number
}

export interface WitnessHealth extends CosignatureStatus {
  /** Checkpoints of other members this node cosigned since start. */
  cosignedForOthers: number
  /** Equivocations recorded (this start and before): any is an alert. */
  equivocations: number
  alerts: EquivocationAlert[]
}

/** What the DHT refusals throttle counts a record under a key outside `/pocnet-dir/` and `/pk/` as. */
export const FOREIGN_DHT_KEY = 'key'

/** The running components the health is read from. */
export interface HealthSources {
  config: NodeConfig
  peerId: string
  /** Whether the node seals hybrid (config `hybridSealing` and a key with an X-Wing key). */
  sealsHybrid: boolean
  roster: RosterState
  host: Host
  ledger: Ledger
  outbox: Outbox
  receiver: DeliveryReceiver
  cases: { readonly damagedCount: number }
  witness: MemberWitness
  alarm: EquivocationAlarm
  attachments: { refusalCounts(): Record<string, number> }
  cosignatures: CosignatureCollector
  guard: ConnectionGuard
  dhtRefused: LogThrottle
  frameBudget: FrameBudget
  readPause: MemberReadPause
  peerRejections: PeerRejections
  retirement: KeyRetirement
  publication: PublicationStatus
  startedAt: number
}

/** The node's health, as `pocnet status` shows it, read from its components now. */
export function assembleHealth(s: HealthSources): Health {
  const peers = s.host.getPeers()
  const latest = s.ledger.latestCheckpoint()
  const oldest = s.outbox.oldestQueuedAt
  return {
    country: s.config.country,
    network: s.config.network,
    peerId: s.peerId,
    addresses: s.host.getMultiaddrs().map(String),
    rosterVersion: s.roster.version,
    sealing: s.sealsHybrid ? 'hybrid' : 'classical',
    peersConnected: peers.length,
    connectedCountries: peers.map((p) => s.roster.memberByPeerId(p)?.country ?? '??').sort(),
    outboxDepth: s.outbox.depth,
    oldestUndeliveredAt: oldest ?? null,
    delivered: s.outbox.delivered,
    received: s.receiver.acceptedCount,
    damagedCases: s.cases.damagedCount,
    rejected: {
      ...s.receiver.rejections,
      ...(s.dhtRefused.count('all') > 0 && { 'dht-refused': s.dhtRefused.count('all') }),
      ...(s.frameBudget.refused > 0 && { 'over-budget': s.frameBudget.refused }),
      ...(s.dhtRefused.count(FOREIGN_DHT_KEY) > 0 && {
        'dht-foreign-key': s.dhtRefused.count(FOREIGN_DHT_KEY),
      }),
      ...s.peerRejections.counts,
      ...prefixed('witness-', s.witness.refusals),
      ...prefixed('evidence-', s.alarm.refusals),
      ...prefixed('attachment-', s.attachments.refusalCounts()),
    } as Record<string, number>,
    refusedConnections: s.guard.count('non-member'),
    connectionRefusals: s.guard.counts,
    frameBudget: {
      totalBytes: s.frameBudget.limits.totalBytes,
      perMemberBytes: s.frameBudget.limits.perPeerBytes,
      heldBytes: s.frameBudget.heldBytes,
      holders: s.frameBudget.holders,
      readPauses: s.readPause.pauses,
      pausedMembers: s.readPause.pausedMembers,
    },
    memory: memoryNow(),
    ledgerSize: s.ledger.size,
    keysWithSealedBlobs: s.ledger.keysWithSealedBlobs,
    keyRetired:
      s.retirement.own === undefined
        ? null
        : { how: s.retirement.own.how, atVersion: s.retirement.own.atVersion },
    dialsWhileRetired: s.retirement.dialsRefused,
    lastCheckpoint: latest === undefined ? null : { size: latest.size, rootHex: toHex(latest.root) },
    directory: s.publication.current,
    witness: {
      ...s.cosignatures.status(),
      cosignedForOthers: s.witness.cosigned,
      equivocations: s.alarm.count,
      alerts: s.alarm.alerts(),
    },
    startedAt: s.startedAt,
  }
}

function memoryNow(): Health['memory'] {
  const m = process.memoryUsage()
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    arrayBuffersBytes: m.arrayBuffers,
  }
}

/** `counts` with each key prefixed, for `rejected` in the health. */
function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}${k}`, v]))
}
