import type { Health } from '../../daemon/health.ts'
import { EVERY_ROLE, type NoRequest, nothing, OPERATORS, route } from '../contract.ts'

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
}
