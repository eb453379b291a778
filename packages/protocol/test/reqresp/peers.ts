import type { Connection, Libp2p, Stream, StreamHandler } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'

/**
 * Two peers joined by one in-memory connection (libp2p's own stream pair): enough of Libp2p for
 * the request/response layer, without sockets. `dialProtocol` hands back the raw stream, so a
 * test can also play a hostile sender.
 */
export interface PeerPair {
  server: Pick<Libp2p, 'handle'>
  client: Pick<Libp2p, 'dialProtocol'>
  /** The one connection every stream of the pair runs on, as the server sees it. */
  connection: Connection
  /** Streams the server's handler was given so far. */
  served: Stream[]
}

export function peerPair(): PeerPair {
  const handlers = new Map<string, StreamHandler>()
  const connection = { remotePeer: { toString: () => 'client-peer' } } as unknown as Connection
  const served: Stream[] = []
  return {
    connection,
    served,
    server: {
      async handle(protocol: string | string[], handler: StreamHandler) {
        for (const p of [protocol].flat()) handlers.set(p, handler)
      },
    },
    client: {
      async dialProtocol(_target, protocols) {
        const protocol = [protocols].flat()[0]!
        const handler = handlers.get(protocol)
        if (handler === undefined) {
          const err = new Error(`protocol ${protocol} is not supported`)
          err.name = 'UnsupportedProtocolError'
          throw err
        }
        const [outbound, inbound] = await streamPair()
        served.push(inbound)
        void handler(inbound, connection)
        return outbound
      },
    },
  }
}

/** A length prefix (unsigned varint) of `length`. */
export function varint(length: number): Uint8Array {
  const bytes: number[] = []
  let n = length
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  bytes.push(n)
  return Uint8Array.from(bytes)
}
