import type { MultiaddrConnection } from '@libp2p/interface'
import { FrameOverBudgetError } from '@pocnet/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFrameBudget } from '../src/frame-budget.ts'
import { createLogger } from '../src/log.ts'
import { MemberReadPause } from '../src/read-pause.ts'

const PROTOCOL = '/pocnet/deliver/1.0.0'
const MiB = 1024 * 1024
const MAX_PAUSE_MS = 20_000

/** A member's raw (TCP) connection: reading paused or not, and 'close'. */
class FakeConnection extends EventTarget {
  status: 'open' | 'closed' = 'open'
  reading: 'readable' | 'paused' = 'readable'
  pause(): void {
    this.reading = 'paused'
  }
  resume(): void {
    this.reading = 'readable'
  }
  close(): void {
    this.status = 'closed'
    this.dispatchEvent(new Event('close'))
  }
  get asMaConn(): MultiaddrConnection {
    return this as unknown as MultiaddrConnection
  }
}

/** A node's frame budget (2 MiB per member) with the read pause behind it, and its log lines. */
function pausedBudget() {
  const lines: Array<Record<string, unknown>> = []
  const log = createLogger({ level: 'warn', write: (line) => lines.push(JSON.parse(line)) })
  const countryOf = (peer: string) => (peer === 'peer-de' ? 'DE' : undefined)
  const readPause = new MemberReadPause({
    heldBy: (peer) => budget.heldBy(peer),
    resumeAtBytes: 1 * MiB,
    maxPauseMs: MAX_PAUSE_MS,
    log,
    countryOf,
  })
  const budget = createFrameBudget(
    { frameBudget: { totalBytes: 4 * MiB, perMemberBytes: 2 * MiB } },
    log,
    countryOf,
    readPause,
  )
  const connection = (peer: string) => {
    const conn = new FakeConnection()
    readPause.track(peer, conn.asMaConn)
    return conn
  }
  return { budget, readPause, lines, connection }
}

describe('a member over its frame share is no longer read', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('pauses every connection of that member alone, counted, with one line', () => {
    const { budget, readPause, lines, connection } = pausedBudget()
    const [de1, de2, it] = [connection('peer-de'), connection('peer-de'), connection('peer-it')]
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    for (let i = 0; i < 3; i++)
      expect(() => budget.take('peer-de', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    expect([de1.reading, de2.reading, it.reading]).toEqual(['paused', 'paused', 'readable'])
    expect(readPause.pauses).toBe(1)
    expect(readPause.pausedMembers).toBe(1)
    expect(lines.filter((l) => l.event === 'frames.read-paused')).toEqual([
      expect.objectContaining({
        peer: 'peer-de',
        member: 'DE',
        connections: 2,
        heldBytes: 2 * MiB,
        pausedSinceStart: 1,
      }),
    ])
  })

  it('pauses a connection the member opens while paused, and forgets closed ones', () => {
    const { budget, readPause, connection } = pausedBudget()
    const first = connection('peer-de')
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    expect(() => budget.take('peer-de', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    first.close()
    const second = connection('peer-de')
    expect(second.reading).toBe('paused')
    budget.give('peer-de', 2 * MiB)
    expect(second.reading).toBe('readable')
    expect(readPause.isPaused('peer-de')).toBe(false)
  })

  it('reads the member again once it holds at most resumeAtBytes, not before', () => {
    const { budget, readPause, connection } = pausedBudget()
    const de = connection('peer-de')
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    expect(() => budget.take('peer-de', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    budget.give('peer-de', MiB / 2)
    expect(de.reading).toBe('paused')
    budget.give('peer-de', MiB / 2)
    expect(de.reading).toBe('readable')
    expect(readPause.pausedMembers).toBe(0)
  })

  it('reads the member again after maxPauseMs whatever it holds', () => {
    const { budget, connection } = pausedBudget()
    const de = connection('peer-de')
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    expect(() => budget.take('peer-de', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    vi.advanceTimersByTime(MAX_PAUSE_MS - 1)
    expect(de.reading).toBe('paused')
    vi.advanceTimersByTime(1)
    expect(de.reading).toBe('readable')
  })

  it('pauses nobody when the whole budget, not the member share, refuses', () => {
    const { budget, readPause, connection } = pausedBudget()
    const it = connection('peer-it')
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    budget.take('peer-fr', 2 * MiB, PROTOCOL)
    expect(() => budget.take('peer-it', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    expect(it.reading).toBe('readable')
    expect(readPause.pauses).toBe(0)
  })
})
