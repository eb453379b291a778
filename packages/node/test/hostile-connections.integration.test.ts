import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { type Health, statusRoutes } from '@pocnet/node/client'
import {
  createFederation,
  type Federation,
  federationLogs,
  health,
  spawnNode,
  waitFor,
} from '@pocnet/test-utils'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { MAX_CONNECTIONS_PER_MEMBER, PENDING_HANDSHAKES } from '../src/constants.ts'

/**
 * Issue 17, connections. 16 raw sockets from a non-member trickling handshake bytes once locked
 * members out (libp2p's global limit of 10 handshakes under way). Here the victim is a daemon in its
 * own process, the attacker another process keeping slow sockets open from loopback addresses of
 * its own (the members are at 127.0.0.1, the address in the victim's bootstrap list), and a member
 * (this process, under DE's key) connects again and again during the attack. Then that member
 * opens more connections than its share.
 */

const SOCKETS = 64
const MEMBER_ATTEMPTS = 12
/** Enough addresses, 4 sockets each, to hold more than the strangers' whole share. */
const MANY_ADDRESSES = Array.from({ length: 24 }, (_, i) => `127.0.0.${10 + i}`)
const ATTACKER = join(import.meta.dirname, 'fixtures', 'slow-handshake.ts')
const GUARD_MS = 30_000

interface LogLine {
  time: string
  event: string
  reason?: string
  refusedSinceStart?: number
}

interface Attack {
  /** The attacker's lines on stdout so far. */
  lines: string[]
  /** SIGTERM, then its summary. */
  stop(): Promise<{ opened: number; closedByNode: number }>
}

describe('connections under attack', () => {
  let fed: Federation
  const attackers = new Set<ChildProcess>()

  beforeAll(async () => {
    fed = await createFederation({ countries: ['FR', 'DE'] })
    await spawnNode(fed.node('FR'))
  })

  afterAll(async () => {
    for (const child of attackers) child.kill('SIGKILL')
    await fed?.cleanup()
  })

  /** Starts the attacker process and resolves once its sockets have connected. */
  async function attack(sockets: number, sources: string[]): Promise<Attack> {
    const victim = fed.node('FR')
    const child = spawn(
      process.execPath,
      [ATTACKER, '127.0.0.1', String(victim.port), String(sockets), sources.join(',')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    attackers.add(child)
    const lines: string[] = []
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line))
    let stderr = ''
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk)
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    await waitFor(() => lines.includes('{"ready":true}'), {
      timeoutMs: GUARD_MS,
      description: `the attacker's ${sockets} sockets to connect (${stderr})`,
    })
    return {
      lines,
      async stop() {
        child.kill('SIGTERM')
        await exited
        attackers.delete(child)
        return JSON.parse(lines.at(-1)!) as { opened: number; closedByNode: number }
      },
    }
  }

  /** `MEMBER_ATTEMPTS` connections of the member, one after the other, each pinged then closed. */
  async function memberAttempts(): Promise<string[]> {
    const member = await memberHost(fed)
    const outcomes: string[] = []
    try {
      for (let i = 0; i < MEMBER_ATTEMPTS; i++) {
        try {
          const connection = await member.dial(multiaddr(fed.node('FR').multiaddr), {
            signal: AbortSignal.timeout(GUARD_MS),
          })
          await member.services.ping.ping(connection.remotePeer, { signal: AbortSignal.timeout(GUARD_MS) })
          outcomes.push('connected')
          await connection.close()
        } catch (err) {
          outcomes.push(`failed: ${(err as Error).message}`)
        }
      }
    } finally {
      await member.stop()
    }
    return outcomes
  }

  /** Refusals of `reason` by the victim. */
  async function refused(reason: keyof Health['connectionRefusals']): Promise<number> {
    return (await health(fed.node('FR'))).connectionRefusals[reason] ?? 0
  }

  it(`${SOCKETS} slow sockets from one address do not stop a member from connecting; every refusal counted, logged per reason at most every 10 s`, async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const victim = fed.node('FR')
    const slow = await attack(SOCKETS, ['127.0.0.2'])
    // the attack is on: every socket past the address's share is refused at once
    await waitFor(
      async () => (await refused('address-pending')) >= SOCKETS - PENDING_HANDSHAKES.perStrangerAddress,
      { timeoutMs: GUARD_MS, description: 'the victim to refuse the sockets past the address share' },
    )
    const outcomes = await memberAttempts()
    const summary = await slow.stop()
    const after = await health(victim)

    expect(outcomes).toEqual(Array(MEMBER_ATTEMPTS).fill('connected'))
    // the attacker saw its sockets closed, and the victim counted each refusal or cut it made
    const refusals = after.connectionRefusals
    expect(refusals['address-pending']).toBeGreaterThanOrEqual(
      SOCKETS - PENDING_HANDSHAKES.perStrangerAddress,
    )
    expect(summary.closedByNode).toBeGreaterThanOrEqual(SOCKETS - PENDING_HANDSHAKES.perStrangerAddress)
    expect(after.refusedConnections).toBe(0)
    expect(refusals['member-connections']).toBeUndefined()

    const logged = (await readFile(victim.logFile, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('{"time"'))
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => l.event === 'connection.refused')
    const byReason = Map.groupBy(logged, (l) => l.reason!)
    expect([...byReason.keys()].sort()).toEqual(Object.keys(refusals).sort())
    for (const [reason, linesOfReason] of byReason) {
      const times = linesOfReason.map((l) => Date.parse(l.time))
      for (let i = 1; i < times.length; i++)
        expect(times[i]! - times[i - 1]!, `${reason} lines 10 s apart`).toBeGreaterThanOrEqual(9_990)
      expect(linesOfReason[0]!.refusedSinceStart).toBe(1)
      expect(linesOfReason.at(-1)!.refusedSinceStart).toBeLessThanOrEqual(
        refusals[reason as keyof typeof refusals]!,
      )
    }
  })

  it(`strangers at ${MANY_ADDRESSES.length} addresses fill only their share: the member's address still connects`, async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const before = await refused('strangers-pending')
    const many = await attack(MANY_ADDRESSES.length * PENDING_HANDSHAKES.perStrangerAddress, MANY_ADDRESSES)
    await waitFor(async () => (await refused('strangers-pending')) > before, {
      timeoutMs: GUARD_MS,
      description: "the strangers' share to fill",
    })
    const outcomes = await memberAttempts()
    await many.stop()
    expect(outcomes).toEqual(Array(MEMBER_ATTEMPTS).fill('connected'))
    expect(await refused('pending-full'), "the members' part never taken").toBe(0)
  })

  it(`a member holds at most ${MAX_CONNECTIONS_PER_MEMBER} connections; each one past it refused and counted`, async () => {
    const victim = fed.node('FR')
    const before = (await health(victim)).connectionRefusals['member-connections'] ?? 0
    const member = await memberHost(fed)
    try {
      // the dialler may take a connection as open before the victim's refusal reaches it (muxer
      // negotiation is optimistic): what counts is which connections stay
      for (let i = 0; i < MAX_CONNECTIONS_PER_MEMBER + 2; i++)
        await member
          .dial(multiaddr(victim.multiaddr), { force: true, signal: AbortSignal.timeout(GUARD_MS) })
          .catch(() => {})
      await waitFor(() => member.getConnections().length === MAX_CONNECTIONS_PER_MEMBER, {
        timeoutMs: GUARD_MS,
        description: `the member to hold ${MAX_CONNECTIONS_PER_MEMBER} connections`,
      })
      expect((await health(victim)).connectionRefusals['member-connections']).toBe(before + 2)
      // a connection closed frees its place
      await member.getConnections()[0]!.close()
      await waitFor(
        async () =>
          (await victim.client.call(statusRoutes.peers)).peers.length === MAX_CONNECTIONS_PER_MEMBER - 1,
        { timeoutMs: GUARD_MS, description: 'the victim to see the closed connection go' },
      )
      await member.dial(multiaddr(victim.multiaddr), { force: true, signal: AbortSignal.timeout(GUARD_MS) })
      await waitFor(() => member.getConnections().length === MAX_CONNECTIONS_PER_MEMBER, {
        timeoutMs: GUARD_MS,
        description: 'a new connection in the place of the closed one',
      })
      expect((await health(victim)).connectionRefusals['member-connections']).toBe(before + 2)
    } finally {
      await member.stop()
    }
  })
})

/** A bare libp2p host under DE's key: a member as far as the victim's roster goes. */
function memberHost(fed: Federation) {
  return createLibp2p({
    privateKey: fed.node('DE').identity.privateKey,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { ping: ping() },
  })
}
