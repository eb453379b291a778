import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { ComponentLogger, ConnectionGater, Libp2p, PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { NodeIdentity } from '@pocnet/crypto'
import { type DirectoryRules, directoryDht, rosterConnectionGater } from '@pocnet/directory'
import { createLibp2p } from 'libp2p'

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
  /** Told each time the gater refuses a peer (a non-member), for the node's counters and log. */
  onRefused?: (peer: PeerId, stage: 'dial' | 'inbound' | 'outbound') => void
  /** Where libp2p's own logs go (the node's JSON log); libp2p's `DEBUG=` logger without it. */
  logger?: ComponentLogger
  /** True to refuse a dial before the roster gater is asked: the node's own key was retired. */
  refuseDial?: () => boolean
}

function countingGater(
  gater: ConnectionGater,
  onRefused: HostInit['onRefused'],
  refuseDial: HostInit['refuseDial'],
): ConnectionGater {
  const counted =
    <A extends unknown[]>(
      stage: 'dial' | 'inbound' | 'outbound',
      deny: ((peer: PeerId, ...rest: A) => boolean | Promise<boolean>) | undefined,
    ) =>
    async (peer: PeerId, ...rest: A): Promise<boolean> => {
      const refused = deny === undefined ? false : await deny(peer, ...rest)
      if (refused) onRefused?.(peer, stage)
      return refused
    }
  return {
    ...gater,
    // a node the roster took out dials nobody: every member would refuse it
    denyDialPeer: async (peer) =>
      refuseDial?.() === true || (await counted('dial', gater.denyDialPeer)(peer)),
    denyInboundEncryptedConnection: counted('inbound', gater.denyInboundEncryptedConnection),
    denyOutboundEncryptedConnection: counted('outbound', gater.denyOutboundEncryptedConnection),
  }
}

/**
 * The libp2p host of a node: TCP, Noise, Yamux, identify, ping and the directory's
 * kad-dht, with the roster gater refusing every peer that is not a current member.
 */
export async function createHost(init: HostInit): Promise<Host> {
  return createLibp2p({
    privateKey: init.identity.privateKey,
    addresses: { listen: init.listen },
    ...(init.logger === undefined ? {} : { logger: init.logger }),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: countingGater(
      rosterConnectionGater(init.rules.getRoster),
      init.onRefused,
      init.refuseDial,
    ),
    connectionManager: {
      // Members are few and known; the default 5-per-second inbound limit would refuse a
      // burst of countries reconnecting after an outage (or a test network on loopback).
      inboundConnectionThreshold: 100,
      maxConnections: 300,
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: directoryDht(init.rules),
    },
  }) as Promise<Host>
}
