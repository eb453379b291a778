import type { Health } from '../../daemon/health.ts'
import { EVERY_ROLE, type NoRequest, nothing, OPERATORS, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject } from '../fields.ts'

/** `POST /peers`: the peer a bootstrap address named, now connected. */
export interface PeerDialled {
  peerId: string
  /** Its member country, or null if the roster does not name it. */
  country: string | null
}

/** One open connection, with the member country of its peer (null: not a member). */
export interface PeerView {
  peerId: string
  country: string | null
  address: string
  direction: 'inbound' | 'outbound'
  /** When the connection opened, ms since the epoch. */
  openedAt: number
}

/** The node's health and its connections. */
export const statusRoutes = {
  health: route<NoRequest, Health>()({ method: 'GET', path: '/health', roles: EVERY_ROLE, parse: nothing }),
  peers: route<NoRequest, { peers: PeerView[] }>()({
    method: 'GET',
    path: '/peers',
    roles: OPERATORS,
    parse: nothing,
  }),
  /** Dials a bootstrap address now (`pocnet peers add` with the daemon running). */
  dial: route<{ body: { address: string } }, PeerDialled>()({
    method: 'POST',
    path: '/peers',
    roles: OPERATORS,
    parse: ({ body }) => {
      const address = bodyObject(body).address
      if (typeof address !== 'string' || !/\/p2p\/[^/]+$/.test(address))
        throw new ControlApiError(400, 'ERR_FIELD', 'address: must be a multiaddr ending in /p2p/<peer id>', {
          details: { field: 'address' },
        })
      return { address }
    },
  }),
}
