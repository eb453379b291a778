import type { MultiaddrConnection, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { NodeIdentity } from '@pocnet/crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConnectionGuard, type ConnectionGuardInit, type HandshakeLimits } from '../src/connection-guard.ts'
import { PENDING_HANDSHAKES } from '../src/constants.ts'
import { HandshakeDeadlineError } from '../src/errors.ts'
import { createLogger } from '../src/log.ts'

/** A raw inbound connection as the TCP transport hands it to the gater: an address, a status, 'close'. */
class FakeConnection extends EventTarget {
  readonly remoteAddr
  status: 'open' | 'closed' | 'aborted' = 'open'
  abortedWith: Error | undefined
  constructor(host: string) {
    super()
    this.remoteAddr = multiaddr(`/ip4/${host}/tcp/40000`)
  }
  abort(err: Error): void {
    this.abortedWith = err
    this.close('aborted')
  }
  close(status: 'closed' | 'aborted' = 'closed'): void {
    this.status = status
    this.dispatchEvent(new Event('close'))
  }
  get asMaConn(): MultiaddrConnection {
    return this as unknown as MultiaddrConnection
  }
}

const MEMBER_ADDRESS = '192.0.2.1'
const SMALL: HandshakeLimits = {
  ...PENDING_HANDSHAKES,
  total: 6,
  strangers: 3,
  perStrangerAddress: 2,
  perMemberAddress: 4,
}

function guardWith(options: Partial<ConnectionGuardInit> = {}) {
  const lines: Array<Record<string, unknown>> = []
  const guard = new ConnectionGuard({
    isMemberAddress: (host) => host === MEMBER_ADDRESS,
    connectionsOf: () => 0,
    maxPerMember: 4,
    log: createLogger({ level: 'warn', write: (l) => lines.push(JSON.parse(l)) }),
    limits: SMALL,
    ...options,
  })
  const open = (host: string) => {
    const conn = new FakeConnection(host)
    return { conn, refused: guard.refuseInbound(conn.asMaConn) }
  }
  return { guard, lines, open }
}

describe('connection guard: handshakes under way', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('holds each stranger address to its share, and frees the slot when a handshake ends', () => {
    const { guard, open } = guardWith()
    const first = open('203.0.113.9')
    expect([first.refused, open('203.0.113.9').refused, open('203.0.113.9').refused]).toEqual([
      false,
      false,
      true,
    ])
    expect(guard.counts).toEqual({ 'address-pending': 1 })
    first.conn.close()
    expect(open('203.0.113.9').refused).toBe(false)
    expect(guard.pending).toBe(2)
  })

  it('keeps a share for members: strangers together fill only theirs', () => {
    const { guard, open } = guardWith()
    const strangers = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'].map((h) => open(h).refused)
    expect(strangers).toEqual([false, false, false, true])
    const members = Array.from({ length: 4 }, () => open(MEMBER_ADDRESS).refused)
    expect(members).toEqual([false, false, false, true])
    expect(guard.counts).toEqual({ 'strangers-pending': 1, 'pending-full': 1 })
  })

  it("cuts a stranger's handshake at its deadline, a member address's only at the longer one", () => {
    const { guard, open } = guardWith()
    const stranger = open('203.0.113.7').conn
    const member = open(MEMBER_ADDRESS).conn
    vi.advanceTimersByTime(SMALL.strangerMs)
    expect(stranger.abortedWith).toBeInstanceOf(HandshakeDeadlineError)
    expect(member.status).toBe('open')
    vi.advanceTimersByTime(SMALL.memberMs - SMALL.strangerMs)
    expect(member.abortedWith).toBeInstanceOf(HandshakeDeadlineError)
    expect(guard.counts).toEqual({ 'handshake-deadline': 2 })
    expect(guard.pending).toBe(0)
  })

  it('a handshake that ends in time is not cut', () => {
    const { guard, open } = guardWith()
    const stranger = open('203.0.113.7').conn
    guard.upgraded(stranger.asMaConn)
    vi.advanceTimersByTime(SMALL.memberMs)
    expect(stranger.abortedWith).toBeUndefined()
    expect(guard.counts).toEqual({})
  })

  it('refuses past the new-connection rate of an address', () => {
    const { guard, open } = guardWith({
      limits: { ...SMALL, perStrangerAddress: 1_000, strangers: 1_000, total: 1_000 },
    })
    for (let i = 0; i < SMALL.perAddressPerSecond; i++) open('203.0.113.5').conn.close()
    expect(open('203.0.113.5').refused).toBe(true)
    expect(guard.counts).toEqual({ 'address-rate': 1 })
    vi.advanceTimersByTime(1_000)
    expect(open('203.0.113.5').refused).toBe(false)
  })

  it('logs one line per reason every 10 s, with the exact count', () => {
    const { guard, lines, open } = guardWith({
      limits: { ...SMALL, perAddressPerSecond: 1_000, strangerMs: 60_000, memberMs: 60_000 },
    })
    open('203.0.113.9')
    open('203.0.113.9')
    for (let i = 0; i < 50; i++) open('203.0.113.9')
    vi.advanceTimersByTime(10_000)
    for (let i = 0; i < 50; i++) open('203.0.113.9')
    expect(guard.count('address-pending')).toBe(100)
    expect(lines.map((l) => [l.event, l.reason, l.refusedSinceStart])).toEqual([
      ['connection.refused', 'address-pending', 1],
      ['connection.refused', 'address-pending', 51],
    ])
  })
})

describe('connection guard: connections per member', () => {
  const peer: PeerId = NodeIdentity.generate().peerId

  it('refuses a member holding its whole share, counting handshakes not yet established', async () => {
    let established = 2
    const { guard, lines } = guardWith({ connectionsOf: () => established })
    const third = new FakeConnection(MEMBER_ADDRESS)
    const fourth = new FakeConnection(MEMBER_ADDRESS)
    const fifth = new FakeConnection(MEMBER_ADDRESS)
    for (const c of [third, fourth, fifth]) expect(guard.refuseInbound(c.asMaConn)).toBe(false)
    expect(guard.refuseMemberConnection(peer, third.asMaConn)).toBe(false)
    expect(guard.refuseMemberConnection(peer, fourth.asMaConn)).toBe(false)
    expect(guard.refuseMemberConnection(peer, fifth.asMaConn)).toBe(true)
    // libp2p opens the connection after the upgraded check: counted as established from then on
    guard.upgraded(third.asMaConn)
    established = 3
    await new Promise((resolve) => setImmediate(resolve))
    fourth.close() // its handshake failed after the check: its place is free again
    expect(guard.refuseMemberConnection(peer, fifth.asMaConn)).toBe(false)
    expect(guard.counts).toEqual({ 'member-connections': 1 })
    expect(lines).toEqual([
      expect.objectContaining({ event: 'connection.refused', reason: 'member-connections', limit: 4 }),
    ])
  })
})
