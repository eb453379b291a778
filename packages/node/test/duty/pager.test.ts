import { CLOCK_PRESETS } from '@pocnet/cases'
import type { Ledger, LedgerEvent } from '@pocnet/ledger'
import { describe, expect, it } from 'vitest'
import type { CaseSummary } from '../../src/casebook/summary.ts'
import { DutyPager } from '../../src/duty/pager.ts'
import type { DutyRoster } from '../../src/duty/roster.ts'
import type { DutyStore } from '../../src/duty/store.ts'
import { EventFeed } from '../../src/feed.ts'
import { createLogger } from '../../src/log.ts'

const clocks = CLOCK_PRESETS['pocnet-default']
const OPENED = Date.parse('2026-07-13T10:00:00Z')
const DEADLINE_MS = clocks.acknowledgementDeadlineMinutes.urgent * 60_000

const roster: DutyRoster = {
  people: [{ name: 'alice', channels: { phone: '+33612345678' } }],
  shifts: [
    {
      id: 'all',
      officer: 'alice',
      backup: 'bob',
      supervisor: 'sue',
      timeZone: 'UTC',
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '00:00',
      end: '00:00',
    },
  ],
  covers: [
    { id: 'c1', person: 'erin', absent: 'bob', from: '2026-07-13T10:00:00Z', until: '2026-07-13T20:00:00Z' },
  ],
}

function received(status = 'delivered'): CaseSummary {
  return {
    id: 'IT-20260713-0000abcd',
    type: 'preservation',
    requester: 'IT',
    requested: 'FR',
    side: 'requested',
    status,
    urgency: 'urgent',
    reference: 'IT-POL-2026-1',
    openedAt: new Date(OPENED).toISOString(),
    updatedAt: new Date(OPENED).toISOString(),
    ackDueAt: new Date(OPENED + DEADLINE_MS).toISOString(),
    answerDueAt: null,
    preservationExpiresAt: null,
    nextAlert: null,
  }
}

/** A ledger that keeps its entries in memory: enough for the pager's appends and scans. */
function memoryLedger(entries: LedgerEvent[]): Ledger {
  return {
    append: async (e: LedgerEvent) => {
      entries.push(e)
    },
    scan: async function* (q: { kind?: string; caseId?: string }) {
      for (const [seq, e] of entries.entries())
        if ((q.kind === undefined || e.kind === q.kind) && (q.caseId === undefined || e.caseId === q.caseId))
          yield { ...e, seq, time: 0, blobs: [] }
    },
    get: async (seq: number) => ({ ...entries[seq]!, seq, time: 0, blobs: [] }),
  } as unknown as Ledger
}

/** The seqs of the pages among `entries`, as the start index names them. */
const pageSeqs = (entries: LedgerEvent[]) =>
  entries.flatMap((e, seq) => (e.kind === 'admin-action' && e.detail?.action === 'page' ? [seq] : []))

function pagerAt(entries: LedgerEvent[], cases: CaseSummary[], clock: { now: number }, kept = roster) {
  const feed = new EventFeed({ log: createLogger({ level: 'error' }) })
  const pager = new DutyPager({
    ledger: memoryLedger(entries),
    feed,
    store: {
      roster: kept,
      channelsOf: (n: string) => kept.people.find((p) => p.name === n)?.channels ?? {},
    } as DutyStore,
    cases: () => cases,
    clocks,
    escalation: undefined,
    deskOf: async () => ({ phone: '+390600000000', unit: 'FR desk' }),
    now: () => new Date(clock.now),
    log: createLogger({ level: 'error' }),
  })
  return { pager, feed }
}

describe('duty pager', () => {
  it('pages the officer on duty about a reachability drill, once, across a restart too', async () => {
    const entries: LedgerEvent[] = []
    const clock = { now: OPENED + 1000 }
    const { pager, feed } = pagerAt(entries, [], clock)
    await pager.load([])
    const page = await pager.pageDrill({ id: 'd'.repeat(32), from: 'FR' })
    expect(page).toMatchObject({ place: 'officer', person: 'alice', reason: 'drill' })
    expect(await pager.pageDrill({ id: 'd'.repeat(32), from: 'FR' })).toBeUndefined()
    const [event] = await feed.after(0, 0)
    expect(event).toMatchObject({ type: 'page', caseId: '', detail: { person: 'alice', reason: 'drill' } })
    expect(event?.summary).toContain('pocnet drills ack dddddddd')
    expect(JSON.stringify(event)).not.toContain('+33612345678')
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ kind: 'admin-action', counterpart: 'FR', detail: { action: 'page' } })
    expect(entries[0]!.caseId).toBeUndefined()

    const restarted = pagerAt(entries, [], clock).pager
    await restarted.load(pageSeqs(entries))
    expect(await restarted.pageDrill({ id: 'd'.repeat(32), from: 'FR' })).toBeUndefined()
    expect(restarted.pageCounts().officer).toBe(1)
  })

  it('pages each rung when it falls due, whoever holds its place then, once across a restart', async () => {
    const entries: LedgerEvent[] = []
    const clock = { now: OPENED + 1000 }
    const { pager, feed } = pagerAt(entries, [received()], clock)
    await pager.load(pageSeqs(entries))
    expect((await pager.check()).map((p) => [p.place, p.person, p.reason])).toEqual([
      ['officer', 'alice', 'new-request'],
    ])
    const [first] = await feed.after(0, 0)
    expect(first?.detail).toMatchObject({ place: 'officer', person: 'alice' })
    // the feed never holds the channel: the hook alone gets it
    expect(JSON.stringify(first)).not.toContain('+33612345678')
    clock.now = OPENED + DEADLINE_MS / 2 - 1
    expect(await pager.check()).toEqual([])
    clock.now = OPENED + DEADLINE_MS / 2
    // bob is covered by erin then
    expect((await pager.check()).map((p) => [p.place, p.person])).toEqual([['backup', 'erin']])
    clock.now = OPENED + DEADLINE_MS
    expect((await pager.check()).map((p) => [p.place, p.person])).toEqual([['supervisor', 'sue']])

    const restarted = pagerAt(entries, [received()], clock).pager
    await restarted.load(pageSeqs(entries))
    expect(await restarted.check()).toEqual([])
    expect(restarted.pagesOf('IT-20260713-0000abcd').map((p) => p.place)).toEqual([
      'officer',
      'backup',
      'supervisor',
    ])
    expect(entries.map((e) => e.detail?.action)).toEqual(['page', 'page', 'page'])
  })

  it('tells the officer paged about a new request when its answer is due too', async () => {
    const answerDueAt = new Date(OPENED + 24 * 3_600_000).toISOString()
    const { pager, feed } = pagerAt([], [{ ...received(), answerDueAt }], { now: OPENED + 1000 })
    await pager.load([])
    await pager.check()
    const [page] = await feed.after(0, 0)
    expect(page?.summary).toMatch(new RegExp(`acknowledge by .*, answer by ${answerDueAt}$`))
  })

  it('pages the officer and supervisor once an owed answer is overdue, once per deadline, across a restart', async () => {
    const entries: LedgerEvent[] = []
    const answerDueAt = new Date(OPENED + 24 * 3_600_000).toISOString()
    const owed = { ...received('in-progress'), ackDueAt: null, answerDueAt }
    const clock = { now: Date.parse(answerDueAt) - 1 }
    const { pager, feed } = pagerAt(entries, [owed], clock)
    await pager.load([])
    expect(await pager.check()).toEqual([])
    clock.now = Date.parse(answerDueAt)
    const pages = await pager.check()
    expect(pages.map((p) => [p.place, p.person, p.reason, p.dueAt])).toEqual([
      ['officer', 'alice', 'answer-overdue', answerDueAt],
      ['supervisor', 'sue', 'answer-overdue', answerDueAt],
    ])
    const [first] = await feed.after(0, 0)
    expect(first?.summary).toBe(
      `alice (officer): the answer to urgent preservation request IT-20260713-0000abcd from IT was due ${answerDueAt}: answer it, or end it (\`pocnet case show IT-20260713-0000abcd\` lists the steps)`,
    )
    // every later walk, and a restart, pages no one again for the same deadline
    clock.now += 15_000
    expect(await pager.check()).toEqual([])
    const restarted = pagerAt(entries, [owed], clock).pager
    await restarted.load(pageSeqs(entries))
    expect(await restarted.check()).toEqual([])
    expect(entries.map((e) => e.detail?.key)).toEqual([
      `IT-20260713-0000abcd/page/answer/${answerDueAt}/officer`,
      `IT-20260713-0000abcd/page/answer/${answerDueAt}/supervisor`,
    ])
    // a new deadline (delivery recorded later moves it) pages anew
    const moved = new Date(Date.parse(answerDueAt) + 60_000).toISOString()
    clock.now = Date.parse(moved)
    const again = pagerAt(entries, [{ ...owed, answerDueAt: moved }], clock).pager
    await again.load(pageSeqs(entries))
    expect((await again.check()).map((p) => p.dueAt)).toEqual([moved, moved])
  })

  it('tells the requester and supervisor to phone the counterpart once its answer is overdue', async () => {
    const answerDueAt = new Date(OPENED + 24 * 3_600_000).toISOString()
    const asked = { ...received('acknowledged'), side: 'requester' as const, ackDueAt: null, answerDueAt }
    const { pager, feed } = pagerAt([], [asked], { now: Date.parse(answerDueAt) })
    const pages = await pager.check()
    expect(pages.map((p) => [p.place, p.person, p.reason, p.phone])).toEqual([
      ['requester', 'alice', 'answer-late', '+390600000000'],
      ['supervisor', 'sue', 'answer-late', '+390600000000'],
    ])
    const [first] = await feed.after(0, 0)
    expect(first?.summary).toBe(
      `alice (requester): FR has not answered urgent request IT-20260713-0000abcd, due ${answerDueAt}: phone FR at +390600000000 (FR desk)`,
    )
  })

  it('pages no one about an answer once none is owed', async () => {
    const entries: LedgerEvent[] = []
    const answered = { ...received('answered'), ackDueAt: null }
    const { pager } = pagerAt(entries, [answered], { now: OPENED + 365 * 24 * 3_600_000 })
    expect(await pager.check()).toEqual([])
    expect(entries).toEqual([])
  })

  it('pages no one once the request is acknowledged, nor on a node that keeps no roster', async () => {
    const entries: LedgerEvent[] = []
    const { pager } = pagerAt(entries, [received('acknowledged')], { now: OPENED + DEADLINE_MS })
    expect(await pager.check()).toEqual([])
    const empty = { people: [], shifts: [], covers: [] }
    expect(await pagerAt(entries, [received()], { now: OPENED + DEADLINE_MS }, empty).pager.check()).toEqual(
      [],
    )
    expect(entries).toEqual([])
  })

  it('pages every rung past due at once after a long stop, and the requesting side only at the deadline', async () => {
    const entries: LedgerEvent[] = []
    const sent = { ...received('sent'), side: 'requester' as const }
    const clock = { now: OPENED + DEADLINE_MS - 1 }
    const { pager } = pagerAt(entries, [received(), sent], clock)
    expect((await pager.check()).map((p) => p.place)).toEqual(['officer', 'backup'])
    clock.now = OPENED + DEADLINE_MS
    const late = await pager.check()
    expect(late.map((p) => [p.place, p.person, p.reason, p.phone ?? null])).toEqual([
      ['supervisor', 'sue', 'unacknowledged', null],
      // nobody recorded as opening it in this ledger: the officer on duty is told
      ['requester', 'alice', 'acknowledgement-late', '+390600000000'],
      ['supervisor', 'sue', 'acknowledgement-late', '+390600000000'],
    ])
  })
})
