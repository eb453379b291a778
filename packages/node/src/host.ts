import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { type KadDHT, kadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { NodeIdentity } from '@pocnet/crypto'
import { type DirectoryRules, directoryDhtOptions, rosterConnectionGater } from '@pocnet/directory'
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
}

/**
 * The libp2p host of a node: TCP, Noise, Yamux, identify, ping and the directory's
 * kad-dht, with the roster gater refusing every peer that is not a current member.
 */
export async function createHost(init: HostInit): Promise<Host> {
  return createLibp2p({
    privateKey: init.identity.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: rosterConnectionGater(init.rules.getRoster),
    connectionManager: {
      // Members are few and known; the default 5-per-second inbound limit would refuse a
      // burst of countries reconnecting after an outage (or a test network on loopback).
      inboundConnectionThreshold: 100,
      maxConnections: 300,
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT(directoryDhtOptions(init.rules)),
    },
  }) as Promise<Host>
}
