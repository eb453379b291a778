import type { MultiaddrConnection } from '@libp2p/interface'
import { FrameOverBudgetError } from '@pocnet/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFrameBudget } from '../src/frame-budget.ts'
import { createLogger } from '../src/log.ts'
import { MemberReadPause } from '../src/read-pause.ts'

const PROTOCOL = '/pocnet/deliver/1.0.0'
const MiB = 1024 * 1024
const MIN_PAUSE_MS = 4_000
const MAX_PAUSE_MS = 16_000

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

/**
 * A node's frame budget (4 MiB per member, 8 MiB in all) with the read pause behind it: a member
 * is paused past 2 MiB and read again at 1 MiB or less.
 */
function pausedBudget() {
  const lines: Array<Record<string, unknown>> = []
  const log = createLogger({ level: 'warn', write: (line) => lines.push(JSON.parse(line)) })
  const countryOf = (peer: string) => (peer === 'peer-de' ? 'DE' : undefined)
  const readPause = new MemberReadPause({
    heldBy: (peer) => budget.heldBy(peer),
    pauseAtBytes: 2 * MiB,
    resumeAtBytes: 1 * MiB,
    minPauseMs: MIN_PAUSE_MS,
    maxPauseMs: MAX_PAUSE_MS,
    log,
    countryOf,
  })
  const budget = createFrameBudget(
    { frameBudget: { totalBytes: 8 * MiB, perMemberBytes: 4 * MiB } },
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

describe('a member holding much in frames being read is no longer read for a while', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('pauses every connection of that member alone past pauseAtBytes, counted, with one line', () => {
    const { budget, readPause, lines, connection } = pausedBudget()
    const [de1, de2, it] = [connection('peer-de'), connection('peer-de'), connection('peer-it')]
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    budget.take('peer-it', 2 * MiB, PROTOCOL)
    expect([de1.reading, de2.reading, it.reading]).toEqual(['readable', 'readable', 'readable'])
    budget.take('peer-de', 1, PROTOCOL)
    budget.take('peer-de', 1, PROTOCOL)
    expect([de1.reading, de2.reading, it.reading]).toEqual(['paused', 'paused', 'readable'])
    expect(readPause.pauses).toBe(1)
    expect(readPause.pausedMembers).toBe(1)
    expect(lines.filter((l) => l.event === 'frames.read-paused')).toEqual([
      expect.objectContaining({
        peer: 'peer-de',
        member: 'DE',
        connections: 2,
        heldBytes: 2 * MiB + 1,
        pauseMs: MIN_PAUSE_MS,
        pausedSinceStart: 1,
      }),
    ])
  })

  it('pauses a member refused over its own share, not one refused over the whole budget', () => {
    const { budget, readPause, connection } = pausedBudget()
    const [de, it] = [connection('peer-de'), connection('peer-it')]
    expect(() => budget.take('peer-de', 4 * MiB + 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    expect(de.reading).toBe('paused')
    budget.take('peer-fr', 2 * MiB, PROTOCOL)
    budget.take('peer-xx', 2 * MiB, PROTOCOL)
    budget.take('peer-yy', 2 * MiB, PROTOCOL)
    budget.take('peer-it', 2 * MiB, PROTOCOL)
    expect(() => budget.take('peer-it', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    expect(it.reading).toBe('readable')
    expect(readPause.pauses).toBe(1)
  })

  it('pauses a connection the member opens while paused, and forgets closed ones', () => {
    const { budget, readPause, connection } = pausedBudget()
    const first = connection('peer-de')
    budget.take('peer-de', 3 * MiB, PROTOCOL)
    first.close()
    const second = connection('peer-de')
    expect(second.reading).toBe('paused')
    budget.give('peer-de', 3 * MiB, true)
    expect(second.reading).toBe('readable')
    expect(readPause.isPaused('peer-de')).toBe(false)
  })

  it('reads the member again once frames read whole leave it holding at most resumeAtBytes, not before', () => {
    const { budget, readPause, connection } = pausedBudget()
    const de = connection('peer-de')
    budget.take('peer-de', 3 * MiB, PROTOCOL)
    budget.give('peer-de', MiB, true)
    expect(de.reading).toBe('paused')
    budget.give('peer-de', MiB, true)
    expect(de.reading).toBe('readable')
    expect(readPause.pausedMembers).toBe(0)
  })

  it('keeps the member paused until the pause is over when its bytes come back from dropped frames', () => {
    const { budget, readPause, connection } = pausedBudget()
    const de = connection('peer-de')
    budget.take('peer-de', 3 * MiB, PROTOCOL)
    // its frames passed their deadline or were refused: nothing of it was read whole
    budget.give('peer-de', 3 * MiB)
    expect(budget.heldBy('peer-de')).toBe(0)
    expect(de.reading).toBe('paused')
    vi.advanceTimersByTime(MIN_PAUSE_MS - 1)
    expect(de.reading).toBe('paused')
    vi.advanceTimersByTime(1)
    expect(de.reading).toBe('readable')
    expect(readPause.pausedMembers).toBe(0)
  })

  it('doubles the pause while none of its frames is read whole, and shortens it again once one is', () => {
    const { budget, connection } = pausedBudget()
    const de = connection('peer-de')
    const pausedFor = (): number => {
      budget.take('peer-de', 1, PROTOCOL)
      expect(de.reading).toBe('paused')
      let ms = 0
      while (de.reading === 'paused') {
        vi.advanceTimersByTime(1_000)
        ms += 1_000
      }
      return ms
    }
    budget.take('peer-de', 3 * MiB, PROTOCOL)
    vi.advanceTimersByTime(MIN_PAUSE_MS)
    expect(de.reading).toBe('readable')
    expect([pausedFor(), pausedFor(), pausedFor(), pausedFor()]).toEqual([8_000, 16_000, 16_000, 16_000])
    // a whole frame read: the member made progress
    budget.give('peer-de', MiB, true)
    expect(pausedFor()).toBe(MIN_PAUSE_MS)
  })
})
