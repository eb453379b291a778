import { multiaddr } from '@multiformats/multiaddr'
import type { PocnetDaemon } from '../../daemon.ts'
import { attemptFailure } from '../../outbox-attempts.ts'
import { ControlApiError } from '../errors.ts'
import type { statusRoutes } from '../routes/status.ts'
import type { Handlers } from '../serve.ts'

/** How long `POST /peers` waits for the connection. */
const DIAL_TIMEOUT_MS = 10_000

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
    dial: async ({ address }) => {
      try {
        const connection = await daemon.host.dial(multiaddr(address), {
          signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
        })
        return {
          peerId: connection.remotePeer.toString(),
          country: daemon.countryOf(connection.remotePeer) ?? null,
        }
      } catch (err) {
        throw new ControlApiError(502, 'ERR_DIAL', `dial ${address}: ${attemptFailure(err)}`, {
          hint: 'the address is kept for the next start; check the host, the port and that the node runs',
        })
      }
    },
  }
}
