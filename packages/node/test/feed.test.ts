import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventFeed } from '../src/feed.ts'
import { createLogger } from '../src/index.ts'
import { until } from './fixtures/federation.ts'

describe('event feed and notification hook', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-feed-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("runs the operator's command with each event as JSON on stdin", async () => {
    const out = join(dir, 'paged.jsonl')
    const feed = new EventFeed({ notifyCommand: `cat >> '${out}'`, log: createLogger({ level: 'error' }) })
    feed.publish({
      type: 'new-request',
      caseId: 'IT-1',
      at: '2026-11-28T21:00:00.000Z',
      summary: 'urgent preservation request from IT',
    })
    feed.publish({
      type: 'deadline-missed',
      caseId: 'IT-1',
      at: '2026-11-28T22:00:00.000Z',
      summary: 'acknowledgement-overdue',
    })
    await until(
      async () => (await readFile(out, 'utf8').catch(() => '')).trim().split('\n').length === 2,
      'both events paged',
    )
    const events = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(events.map((e) => e.type).sort()).toEqual(['deadline-missed', 'new-request'])
    expect(events.every((e) => e.caseId === 'IT-1' && typeof e.cursor === 'number')).toBe(true)
  })

  it("runs the hook without pocnet's own settings in its environment (no passphrase, no token)", async () => {
    const out = join(dir, 'env.txt')
    process.env.POCNET_PASSPHRASE = 'leak-me-secret'
    process.env.POCNET_TOKEN = 'pn_leak-me-token'
    try {
      const feed = new EventFeed({ notifyCommand: `env > '${out}'`, log: createLogger({ level: 'error' }) })
      feed.publish({ type: 'new-request', caseId: 'IT-2', at: '2026-11-28T21:00:00.000Z', summary: 's' })
      await until(async () => (await readFile(out, 'utf8').catch(() => '')).includes('PATH='), 'the hook ran')
      const env = await readFile(out, 'utf8')
      expect(env).not.toContain('leak-me')
      expect(env).not.toMatch(/^POCNET_/m)
    } finally {
      delete process.env.POCNET_PASSPHRASE
      delete process.env.POCNET_TOKEN
    }
  })

  it('logs a failing hook and carries on', async () => {
    const lines: string[] = []
    const feed = new EventFeed({
      notifyCommand: 'echo paging failed >&2; exit 3',
      log: createLogger({ write: (l) => lines.push(l) }),
    })
    const event = feed.publish({
      type: 'delivery-failed',
      caseId: 'IT-2',
      at: '2026-11-28T21:00:00.000Z',
      summary: 'x',
    })
    await until(() => lines.some((l) => l.includes('notify.failed')), 'the failure to be logged')
    const logged = JSON.parse(lines.find((l) => l.includes('notify.failed'))!)
    expect(logged).toMatchObject({ type: 'delivery-failed', exitCode: 3, stderr: 'paging failed' })
    expect(await feed.after(event.cursor - 1, 0)).toEqual([event])
  })

  it('answers a long poll as soon as an event arrives, and with nothing when none does', async () => {
    const feed = new EventFeed({ log: createLogger({ level: 'error' }) })
    expect(await feed.after(feed.cursor, 50)).toEqual([])
    const waiting = feed.after(feed.cursor, 60_000)
    const event = feed.publish({
      type: 'case-message',
      caseId: 'FR-3',
      at: '2026-11-28T21:00:00.000Z',
      summary: 'y',
    })
    expect(await waiting).toEqual([event])
  })

  it('stops a long poll whose client went away, leaving nothing waiting', async () => {
    const feed = new EventFeed({ log: createLogger({ level: 'error' }) })
    const gone = new AbortController()
    const waiting = feed.after(feed.cursor, 60_000, gone.signal)
    expect(feed.waiting).toBe(1)
    gone.abort()
    expect(await waiting).toEqual([])
    expect(feed.waiting).toBe(0)
    // a poll for a client already gone does not wait at all
    expect(await feed.after(feed.cursor, 60_000, gone.signal)).toEqual([])
    expect(feed.waiting).toBe(0)
  })

  it('ends every long poll when closed, so a stopping daemon is not held up by a watcher', async () => {
    const feed = new EventFeed({ log: createLogger({ level: 'error' }) })
    const waiting = feed.after(feed.cursor, 60_000)
    feed.close()
    expect(await waiting).toEqual([])
    // after close a poll does not wait at all: this would otherwise hang the test for a minute
    expect(await feed.after(feed.cursor, 60_000)).toEqual([])
  })
})
