import type { RosterState } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import type { OpenedEnvelope } from '@pocnet/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { InboundMessage } from '../src/delivery.ts'
import type { DrillsConfig } from '../src/drills/config.ts'
import { DrillAnsweredError } from '../src/drills/errors.ts'
import { DRILL_KIND, DRILL_REFUSED_KIND, decodeDrillPayload, encodeDrill } from '../src/drills/payload.ts'
import { Drills } from '../src/drills/service.ts'
import { EventFeed } from '../src/feed.ts'
import { createLogger } from '../src/log.ts'
import type { Outbox, SubmitInput } from '../src/outbox.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const T0 = Date.parse('2026-01-15T08:30:00Z') // 09:30 in Rome

/** A drills service over an empty ledger and an outbox that records what it is given. */
function drillsWith(config: DrillsConfig) {
  const submitted: SubmitInput[] = []
  let n = 0
  const outbox = {
    on: () => () => {},
    submit: async (input: SubmitInput) => {
      submitted.push(input)
      n++
      return { messageId: n.toString(16).padStart(32, '0'), queuedAt: Date.now() }
    },
  } as unknown as Outbox
  const ledger = { scan: async function* () {} } as unknown as Ledger
  const lines: string[] = []
  const log = createLogger({ write: (line: string) => lines.push(line) })
  const feed = new EventFeed({ log })
  const members = new Map(['FR', 'DE', 'IT'].map((c) => [c, {}]))
  const drills = new Drills({
    country: 'FR',
    config,
    ledger,
    outbox,
    feed,
    getRoster: () => ({ members }) as unknown as RosterState,
    log,
  })
  return { drills, submitted, feed, lines }
}

function drillFrom(from: string, id: string): [InboundMessage, OpenedEnvelope] {
  const message = {
    messageId: id,
    from,
    caseId: '',
    kind: DRILL_KIND,
    receivedAt: Date.now(),
  } as InboundMessage
  return [message, { kind: DRILL_KIND, caseId: '', payload: encodeDrill() } as OpenedEnvelope]
}

describe('the drills service', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs scheduled rounds to every other member, an interval apart, inside the hours', async () => {
    const { drills, submitted } = drillsWith({
      every: '1h',
      hours: { from: '09:00', to: '11:00', timeZone: 'Europe/Rome' },
    })
    await drills.start()
    await vi.advanceTimersByTimeAsync(29_000)
    expect(submitted).toEqual([])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(submitted.map((s) => [s.to, s.kind, s.actor, s.caseId])).toEqual([
      ['DE', DRILL_KIND, 'node', ''],
      ['IT', DRILL_KIND, 'node', ''],
    ])
    await vi.advanceTimersByTimeAsync(HOUR - MINUTE)
    expect(submitted).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(MINUTE)
    expect(submitted).toHaveLength(4)
    // the next is due at 11:30 Rome, after the window: it waits for 09:00 tomorrow
    await vi.advanceTimersByTimeAsync(20 * HOUR)
    expect(submitted).toHaveLength(4)
    expect(drills.overview().schedule?.nextRoundAt).toBe('2026-01-16T08:00:00.000Z')
    // now 05:30 UTC on the 16th: the round comes at 08:00 UTC
    await vi.advanceTimersByTimeAsync(2 * HOUR + 29 * MINUTE)
    expect(submitted).toHaveLength(4)
    await vi.advanceTimersByTimeAsync(MINUTE)
    expect(submitted).toHaveLength(6)
    drills.stop()
  })

  it('refuses a drill at once when it takes none, and an acknowledgement after that', async () => {
    const { drills, submitted, feed } = drillsWith({ accept: false })
    await drills.start()
    const id = 'ab'.repeat(16)
    drills.receive(...drillFrom('DE', id))
    await vi.advanceTimersByTimeAsync(0)
    expect(submitted.map((s) => [s.to, s.kind, s.actor])).toEqual([['DE', DRILL_REFUSED_KIND, 'node']])
    expect(decodeDrillPayload(DRILL_REFUSED_KIND, submitted[0]!.payload)).toEqual({
      type: 'refused',
      drill: id,
      at: T0,
    })
    await expect(drills.acknowledge(id.slice(0, 8), 'duty')).rejects.toBeInstanceOf(DrillAnsweredError)
    expect(drills.overview().received).toMatchObject([
      { id, from: 'DE', answer: 'refused', answeredBy: 'node' },
    ])
    // not paged: nobody is to acknowledge it
    expect(await feed.after(0, 0)).toEqual([])
    drills.stop()
  })

  it('pages the officer for a drill taken, and sends the acknowledgement once', async () => {
    const { drills, submitted, feed } = drillsWith({})
    await drills.start()
    const id = 'cd'.repeat(16)
    drills.receive(...drillFrom('IT', id))
    expect(await feed.after(0, 0)).toMatchObject([
      { type: 'drill', caseId: '', detail: { drill: id, from: 'IT' } },
    ])
    expect(submitted).toEqual([])
    await drills.acknowledge(id.slice(0, 8), 'duty')
    expect(submitted.map((s) => [s.to, s.kind, s.actor])).toEqual([['IT', 'drill.ack', 'user:duty']])
    await expect(drills.acknowledge(id, 'other')).rejects.toThrow(/already acknowledged by user:duty/)
    await expect(drills.acknowledge('cdcd', 'duty')).rejects.toThrow(/no drill received/)
    drills.stop()
  })
})
