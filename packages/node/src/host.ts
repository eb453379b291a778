import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type {
  ComponentLogger,
  ConnectionGater,
  Libp2p,
  Metrics,
  MultiaddrConnection,
  PeerId,
} from '@libp2p/interface'
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { NodeIdentity } from '@pocnet/crypto'
import { type DirectoryRules, directoryDht, rosterConnectionGater } from '@pocnet/directory'
import { createLibp2p } from 'libp2p'
import type { ConnectionGuard } from './connection-guard.ts'
import { PENDING_HANDSHAKES } from './constants.ts'

export type HostServices = {
  dht: KadDHT
  identify: unknown
  ping: unknown
}

export type Host = Libp2p<HostServices>

export interface HostInit {
  identity: NodeIdentity
  listen: string[]
  rules: DirectoryRules
  /** Admits inbound connections by address and member, and counts every refusal (a non-member's too). */
  guard: ConnectionGuard
  /** Where libp2p's own logs go (the node's JSON log); libp2p's `DEBUG=` logger without it. */
  logger?: ComponentLogger
  /** True to refuse a dial before the roster gater is asked: the node's own key was retired. */
  refuseDial?: () => boolean
  /** libp2p's own metrics (NodeMetrics.libp2pMetrics), when the metrics endpoint is enabled. */
  metrics?: (components: { logger: ComponentLogger }) => Metrics
  /** Told the datastore kad-dht keeps the records it stores in, so they can be counted. */
  onDhtDatastore?: (datastore: KadDHTComponents['datastore']) => void
  /** Told each member connection's transport-level connection once it is upgraded, either direction. */
  onMemberConnection?: (peer: PeerId, maConn: MultiaddrConnection) => void
}

/**
 * The roster gater behind the connection guard: the guard admits an inbound connection by its
 * address before the handshake, the roster gater judges the key after it (a refusal counted as
 * `non-member`), then the guard holds each member to its share of connections.
 */
function guardedGater(
  roster: ConnectionGater,
  guard: ConnectionGuard,
  refuseDial: HostInit['refuseDial'],
  onMemberConnection: HostInit['onMemberConnection'],
): ConnectionGater {
  const nonMember = async (
    stage: 'dial' | 'inbound' | 'outbound',
    peer: PeerId,
    verdict: boolean | Promise<boolean> | undefined,
  ): Promise<boolean> => {
    const refused = (await verdict) === true
    if (refused) guard.refused('non-member', { peer: peer.toString(), stage })
    return refused
  }
  return {
    ...roster,
    // a node the roster took out dials nobody: every member would refuse it
    denyDialPeer: async (peer) =>
      refuseDial?.() === true || (await nonMember('dial', peer, roster.denyDialPeer?.(peer))),
    denyInboundConnection: (maConn) => guard.refuseInbound(maConn),
    denyInboundEncryptedConnection: async (peer, maConn) =>
      (await nonMember('inbound', peer, roster.denyInboundEncryptedConnection?.(peer, maConn))) ||
      guard.refuseMemberConnection(peer, maConn),
    denyOutboundEncryptedConnection: (peer, maConn) =>
      nonMember('outbound', peer, roster.denyOutboundEncryptedConnection?.(peer, maConn)),
    denyInboundUpgradedConnection: (peer, maConn) => {
      guard.upgraded(maConn)
      onMemberConnection?.(peer, maConn)
      return false
    },
    denyOutboundUpgradedConnection: (peer, maConn) => {
      onMemberConnection?.(peer, maConn)
      return false
    },
  }
}

/**
 * The libp2p host of a node: TCP, Noise, Yamux, identify, ping and the directory's
 * kad-dht, with the connection guard and the roster gater refusing every peer that is not a current member.
 */
export async function createHost(init: HostInit): Promise<Host> {
  return createLibp2p({
    privateKey: init.identity.privateKey,
    addresses: { listen: init.listen },
    ...(init.logger === undefined ? {} : { logger: init.logger }),
    ...(init.metrics === undefined ? {} : { metrics: init.metrics }),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: guardedGater(
      rosterConnectionGater(init.rules.getRoster),
      init.guard,
      init.refuseDial,
      init.onMemberConnection,
    ),
    connectionManager: {
      // libp2p's own inbound limits refuse without a count or a line: each is set above what the
      // guard admits (connection-guard.ts, PENDING_HANDSHAKES), so the guard refuses first. Its
      // global pending limit (10 by default) is what 16 slow sockets of a stranger filled.
      maxIncomingPendingConnections: 2 * PENDING_HANDSHAKES.total,
      inboundConnectionThreshold: Number.MAX_SAFE_INTEGER,
      inboundUpgradeTimeout: 2 * PENDING_HANDSHAKES.memberMs,
      // members × MAX_CONNECTIONS_PER_MEMBER: the Convention's 80 or so parties hold up to 320
      maxConnections: 1024,
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: (components: KadDHTComponents) => {
        init.onDhtDatastore?.(components.datastore)
        return directoryDht(init.rules)(components)
      },
    },
  }) as Promise<Host>
}
