import type { PocnetDaemon } from '../../daemon.ts'
import type { statusRoutes } from '../routes/status.ts'
import type { Handlers } from '../serve.ts'

export function statusHandlers(daemon: PocnetDaemon): Handlers<typeof statusRoutes> {
  return {
    health: async () => daemon.health(),
    peers: async () => ({
      peers: daemon.host.getConnections().map((c) => ({
        peerId: c.remotePeer.toString(),
        country: daemon.countryOf(c.remotePeer) ?? null,
        address: c.remoteAddr.toString(),
        direction: c.direction,
        openedAt: c.timeline.open,
      })),
    }),
  }
}
