import type { PublishResult } from '@pocnet/directory'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { foundProblem, PublicationStatus } from '../src/daemon/publication-status.ts'
import {
  RETRY_AFTER_CONNECT_MS,
  RETRY_MAX_INTERVAL_MS,
  RETRY_MIN_INTERVAL_MS,
  UnstoredRecordRetry,
} from '../src/daemon/unstored-retry.ts'
import { createLogger } from '../src/log.ts'

/** A republish outcome: record `seq` stored by `storedBy` peers. */
const stored = (seq: number, storedBy: number) => ({ record: { seq }, storedBy }) as unknown as PublishResult

/**
 * The retry against a real PublicationStatus, with the directory's republish and the daemon's
 * publish as scripted outcomes, members connecting on demand, and fake timers.
 */
function retryWith(outcomes: Array<PublishResult | undefined | Error>) {
  const status = new PublicationStatus({ log: createLogger({ level: 'error', write: () => {} }) })
  const listeners = new Set<() => void>()
  const calls = { republish: 0, publish: 0 }
  const shutdown = new AbortController()
  const peers = { connected: 0 }
  const retry = new UnstoredRecordRetry({
    status,
    republish: async () => {
      calls.republish++
      const outcome = outcomes.shift()
      if (outcome instanceof Error) throw outcome
      return outcome
    },
    publish: async () => {
      calls.publish++
      status.issued(9, 1)
    },
    onMemberConnected: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    connectedMembers: () => peers.connected,
    shutdown: shutdown.signal,
    now: () => Date.now(),
  })
  const connect = () => {
    peers.connected++
    for (const listener of listeners) listener()
  }
  return { status, retry, calls, connect, peers, shutdown, listeners }
}

describe('the own record sent again once a member can store it', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('sends an unstored record again 2 s after a member connects, and stops once one stored it', async () => {
    const { status, retry, calls, connect } = retryWith([stored(3, 2)])
    status.issued(3, 0)
    retry.start()
    connect()
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_CONNECT_MS - 1)
    expect(calls.republish).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.republish).toBe(1)
    expect(status.current).toMatchObject({ state: 'published', lastPublished: { seq: 3, storedBy: 2 } })
    connect()
    await vi.advanceTimersByTimeAsync(RETRY_MAX_INTERVAL_MS)
    expect(calls.republish).toBe(1)
  })

  it('tries at most once every 10 s however many members connect, and backs off while still unstored', async () => {
    const { status, retry, calls, connect } = retryWith(Array.from({ length: 20 }, () => stored(3, 0)))
    status.issued(3, 0)
    retry.start()
    for (let i = 0; i < 5; i++) connect()
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_CONNECT_MS)
    expect(calls.republish).toBe(1)
    connect()
    await vi.advanceTimersByTimeAsync(RETRY_MIN_INTERVAL_MS - 1)
    expect(calls.republish).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls.republish).toBe(2)
    // the gaps double while members stay connected and none stores it: 20 s, 40 s, ..., 5 min
    const gaps: number[] = []
    for (let at = 0; gaps.length < 6; ) {
      const before = calls.republish
      await vi.advanceTimersByTimeAsync(1_000)
      at += 1_000
      if (calls.republish > before) {
        gaps.push(at)
        at = 0
      }
    }
    expect(gaps).toEqual([20_000, 40_000, 80_000, 160_000, RETRY_MAX_INTERVAL_MS, RETRY_MAX_INTERVAL_MS])
    expect(status.current.state).toBe('unstored')
  })

  it('issues a record when none was yet (the first publication failed), and retries a failed sending', async () => {
    const { status, retry, calls, connect } = retryWith([new Error('DHT query timed out'), undefined])
    status.publishFailed(new Error('no peers'))
    retry.start()
    connect()
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_CONNECT_MS)
    expect(calls).toEqual({ republish: 1, publish: 0 })
    expect(status.current).toMatchObject({
      state: 'not-published',
      problem: { reason: 'publish-failed', rule: 'DHT query timed out' },
    })
    await vi.advanceTimersByTimeAsync(RETRY_MIN_INTERVAL_MS)
    expect(calls).toEqual({ republish: 2, publish: 1 })
    expect(status.current.state).toBe('published')
  })

  it('does not miss a member that connected during the first publication, or before the start', async () => {
    const during = retryWith([stored(4, 1)])
    during.retry.start()
    during.connect()
    await vi.advanceTimersByTimeAsync(3 * RETRY_AFTER_CONNECT_MS)
    // still pending: it waits for the first publication's outcome
    expect(during.calls.republish).toBe(0)
    during.status.issued(4, 0)
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_CONNECT_MS)
    expect(during.calls.republish).toBe(1)
    expect(during.status.current.state).toBe('published')

    const before = retryWith([stored(5, 1)])
    before.peers.connected = 1
    before.status.issued(5, 0)
    before.retry.start()
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_CONNECT_MS)
    expect(before.calls.republish).toBe(1)
    expect(before.status.current.state).toBe('published')
  })

  it('leaves a record refused by the rules to the operator, and stops with the node', async () => {
    const { status, retry, calls, connect, listeners } = retryWith([stored(3, 1)])
    status.failed(
      foundProblem({
        reason: 'record-refused',
        file: '/data/contact.json',
        field: 'timeZone',
        rule: '"Etc/GMT-3" is refused',
        fix: 'edit it',
      }),
    )
    retry.start()
    connect()
    await vi.advanceTimersByTimeAsync(RETRY_MAX_INTERVAL_MS)
    expect(calls.republish).toBe(0)

    status.issued(3, 0)
    connect()
    retry.stop()
    expect(listeners.size).toBe(0)
    await vi.advanceTimersByTimeAsync(RETRY_MAX_INTERVAL_MS)
    expect(calls.republish).toBe(0)
  })
})
