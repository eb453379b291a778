import type { MultiaddrConnection, PeerId } from '@libp2p/interface'
import { RateLimiter } from '@libp2p/utils'
import { PENDING_HANDSHAKES } from './constants.ts'
import { HandshakeDeadlineError } from './errors.ts'
import { type Logger, LogThrottle } from './log.ts'
import { hostOf } from './member-addresses.ts'

/**
 * Why a connection was refused or cut before it carried anything, as counted in `pocnet status`
 * (`connectionRefusals`): a `non-member` key (the roster gater), too many new connections from one
 * address this second (`address-rate`), too many handshakes under way from one address
 * (`address-pending`), from strangers together (`strangers-pending`) or in all (`pending-full`), a
 * handshake cut at its deadline (`handshake-deadline`), a member holding its whole share of
 * connections already (`member-connections`).
 */
export type ConnectionRefusal =
  | 'non-member'
  | 'address-rate'
  | 'address-pending'
  | 'strangers-pending'
  | 'pending-full'
  | 'handshake-deadline'
  | 'member-connections'

/** Limits on handshakes under way, as PENDING_HANDSHAKES. */
export type HandshakeLimits = Record<keyof typeof PENDING_HANDSHAKES, number>

export interface ConnectionGuardInit {
  /** Whether an IP address is a member's known address (MemberAddresses.has). */
  isMemberAddress: (host: string) => boolean
  /** Established connections with `peer` now, both directions. */
  connectionsOf: (peer: PeerId) => number
  /** Established connections one member may hold (MAX_CONNECTIONS_PER_MEMBER by default). */
  maxPerMember: number
  log: Logger
  /** Limits on handshakes under way; PENDING_HANDSHAKES by default (tests pass smaller ones). */
  limits?: HandshakeLimits
}

/** An inbound connection admitted before its handshake, until it is upgraded or closed. */
interface Pending {
  host: string
  member: boolean
  timer: ReturnType<typeof setTimeout>
  /** The authenticated member, once its connection passed the per-member cap. */
  peer?: string
}

/** Stands for an address-less connection (not TCP/IP): one address for every such connection. */
const NO_ADDRESS = '(no address)'

/**
 * Admission of inbound connections, so that nobody outside can lock members out and no member holds
 * more than its share. Before the handshake, by remote address: new connections per address and
 * second, handshakes under way per address, strangers' handshakes together held to a share of the
 * total so members' known addresses always find a slot, and each handshake cut at a deadline
 * (short for strangers). After the Noise handshake: the roster gater's verdict, then the cap on
 * connections per member PeerId. Every refusal is counted by reason and logged at most once per
 * reason every 10 s (LogThrottle) with the count since start: `gater.refused` for a non-member
 * (as before), `connection.refused` for the others.
 */
export class ConnectionGuard {
  readonly #init: ConnectionGuardInit
  readonly #limits: HandshakeLimits
  readonly #throttle = new LogThrottle()
  readonly #counts: Partial<Record<ConnectionRefusal, number>> = {}
  readonly #pending = new Map<MultiaddrConnection, Pending>()
  readonly #pendingByHost = new Map<string, number>()
  #strangersPending = 0
  /** Members' connections past the cap check and not yet established, by PeerId. */
  readonly #upgrading = new Map<string, number>()
  readonly #rate: RateLimiter

  constructor(init: ConnectionGuardInit) {
    this.#init = init
    this.#limits = init.limits ?? PENDING_HANDSHAKES
    this.#rate = new RateLimiter({ points: this.#limits.perAddressPerSecond, duration: 1 })
  }

  /** Refusals since start by reason (only reasons that occurred). */
  get counts(): Partial<Record<ConnectionRefusal, number>> {
    return { ...this.#counts }
  }

  /** Refusals of `reason` since start. */
  count(reason: ConnectionRefusal): number {
    return this.#counts[reason] ?? 0
  }

  /** Inbound handshakes under way now. */
  get pending(): number {
    return this.#pending.size
  }

  /** Before the handshake: true to refuse `maConn` (the gater's `denyInboundConnection`). */
  refuseInbound(maConn: MultiaddrConnection): boolean {
    const host = hostOf(maConn.remoteAddr) ?? NO_ADDRESS
    const member = host !== NO_ADDRESS && this.#init.isMemberAddress(host)
    const limits = this.#limits
    const refusal = ((): ConnectionRefusal | undefined => {
      try {
        this.#rate.consume(host)
      } catch {
        return 'address-rate'
      }
      if (this.#pending.size >= limits.total) return 'pending-full'
      const fromHost = this.#pendingByHost.get(host) ?? 0
      if (fromHost >= (member ? limits.perMemberAddress : limits.perStrangerAddress)) return 'address-pending'
      if (!member && this.#strangersPending >= limits.strangers) return 'strangers-pending'
      return undefined
    })()
    if (refusal !== undefined) {
      this.refused(refusal, { address: host, knownAddress: member })
      return true
    }
    const deadlineMs = member ? limits.memberMs : limits.strangerMs
    const timer = setTimeout(() => {
      if (!this.#pending.has(maConn)) return
      this.refused('handshake-deadline', { address: host, knownAddress: member, deadlineMs })
      maConn.abort(new HandshakeDeadlineError(host, deadlineMs))
    }, deadlineMs)
    timer.unref?.()
    this.#pending.set(maConn, { host, member, timer })
    this.#pendingByHost.set(host, (this.#pendingByHost.get(host) ?? 0) + 1)
    if (!member) this.#strangersPending++
    if (maConn.status !== 'open') this.#release(maConn)
    else maConn.addEventListener('close', () => this.#release(maConn), { once: true })
    return false
  }

  /**
   * After the handshake, for a peer the roster gater admitted: true to refuse a member already
   * holding its whole share of connections (the gater's `denyInboundEncryptedConnection`).
   */
  refuseMemberConnection(peer: PeerId, maConn: MultiaddrConnection): boolean {
    const key = peer.toString()
    const held = this.#init.connectionsOf(peer) + (this.#upgrading.get(key) ?? 0)
    if (held >= this.#init.maxPerMember) {
      this.refused('member-connections', {
        address: hostOf(maConn.remoteAddr) ?? NO_ADDRESS,
        peer: key,
        limit: this.#init.maxPerMember,
      })
      return true
    }
    const pending = this.#pending.get(maConn)
    if (pending !== undefined) {
      pending.peer = key
      this.#upgrading.set(key, (this.#upgrading.get(key) ?? 0) + 1)
    }
    return false
  }

  /**
   * The handshake of `maConn` is done (the gater's `denyInboundUpgradedConnection`): its slot is
   * free. The connection is counted among the peer's established ones only once libp2p opened it,
   * after this returns: until then it stays counted as upgrading.
   */
  upgraded(maConn: MultiaddrConnection): void {
    const peer = this.#pending.get(maConn)?.peer
    this.#release(maConn, false)
    if (peer !== undefined) setImmediate(() => this.#doneUpgrading(peer))
  }

  /** Counts a refusal of `reason` and logs it when the throttle allows. */
  refused(reason: ConnectionRefusal, fields: Record<string, string | number | boolean | undefined>): void {
    this.#counts[reason] = (this.#counts[reason] ?? 0) + 1
    const count = this.#throttle.hit(reason)
    if (count === undefined) return
    if (reason === 'non-member') this.#init.log.warn('gater.refused', { ...fields, refusedSinceStart: count })
    else this.#init.log.warn('connection.refused', { reason, ...fields, refusedSinceStart: count })
  }

  #release(maConn: MultiaddrConnection, withPeer = true): void {
    const pending = this.#pending.get(maConn)
    if (pending === undefined) return
    this.#pending.delete(maConn)
    clearTimeout(pending.timer)
    const left = (this.#pendingByHost.get(pending.host) ?? 1) - 1
    if (left > 0) this.#pendingByHost.set(pending.host, left)
    else this.#pendingByHost.delete(pending.host)
    if (!pending.member) this.#strangersPending--
    if (withPeer && pending.peer !== undefined) this.#doneUpgrading(pending.peer)
  }

  #doneUpgrading(peer: string): void {
    const left = (this.#upgrading.get(peer) ?? 1) - 1
    if (left > 0) this.#upgrading.set(peer, left)
    else this.#upgrading.delete(peer)
  }
}
