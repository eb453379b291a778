import { setTimeout as sleep } from 'node:timers/promises'
import {
  auditDelivery,
  createFederation,
  type Federation,
  federationLogs,
  health,
  outbox,
  spawnNode,
  stopNode,
  submitMessages,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 6 acceptance: B is down while A sends 200 messages; B starts 30 s later → all 200
// delivered in a bounded time, none twice.
const COUNT = 200
const OUTAGE_MS = 30_000

describe('delivery across an outage of the recipient', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({
      countries: ['AA', 'BB'],
      // short backoff so delivery resumes soon after B is back
      configure: (c) => ({ ...c, outbox: { ...c.outbox, initialBackoffMs: 200, maxBackoffMs: 2000 } }),
    })
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it(`queues ${COUNT} messages while B is down and delivers each once after B returns`, async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const a = fed.node('AA')
    const b = fed.node('BB')
    await Promise.all([spawnNode(a), spawnNode(b)])
    // Start-up: A must be connected and find B's directory record before it can seal to B.
    await waitUntilReachable(a, b)
    expect(await stopNode(b)).toEqual({ code: 0, signal: null })

    const outageStart = Date.now()
    const submitted = await submitMessages(a, { to: 'BB', count: COUNT, concurrency: 8 })
    const ids = new Set(submitted.map((s) => s.messageId))
    expect(ids.size).toBe(COUNT)

    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)))
    // Nothing can have been delivered, and the outbox has been trying.
    const waiting = await outbox(a)
    expect(new Set(waiting.map((i) => i.messageId))).toEqual(ids)
    for (const item of waiting) {
      expect(item.attempts).toBeGreaterThanOrEqual(1)
      expect(item.lastError).not.toBeNull()
    }
    expect((await health(a)).delivered).toBe(0)

    await spawnNode(b)
    // The bound: a generous failure guard, not a performance claim.
    await waitFor(async () => (await outbox(a)).length === 0, {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: "A's outbox to drain after B is back",
    })
    expect((await health(a)).delivered).toBe(COUNT)
    expect((await health(b)).received).toBe(COUNT)

    expect(await stopNode(a)).toEqual({ code: 0, signal: null })
    expect(await stopNode(b)).toEqual({ code: 0, signal: null })
    const audit = await auditDelivery(a, b)
    expect(audit.sender.verify.problem).toBeUndefined()
    expect(audit.receiver.verify.problem).toBeUndefined()
    expect(audit.sender.verify.ok && audit.receiver.verify.ok).toBe(true)
    expect(audit.duplicates).toEqual({ receipts: [], received: [], sent: [] })
    expect(new Set(audit.sent.keys())).toEqual(ids)
    expect(new Set(audit.accepted.keys())).toEqual(ids)
    expect(audit.rejected).toEqual([])
    expect(audit.failed).toEqual([])
    expect(audit.received.size).toBe(COUNT)
    for (const id of ids) expect(audit.received.get(id)?.envelope).toBe(audit.sent.get(id))
  })
})
