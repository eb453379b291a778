import {
  auditDelivery,
  createFederation,
  type Federation,
  federationLogs,
  health,
  inbox,
  outbox,
  spawnNode,
  stopNode,
  submitMessages,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 6 acceptance: two real daemons on loopback, 1,000 messages A→B, all receipted, no
// duplicates at B, both ledgers verify and agree on the message hashes.
const COUNT = 1000

describe('delivery between two daemons', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({ countries: ['AA', 'BB'] })
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it(`delivers ${COUNT} messages exactly once, receipted, with verifying ledgers that agree`, async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const a = fed.node('AA')
    const b = fed.node('BB')
    await Promise.all([spawnNode(a), spawnNode(b)])
    // Start-up: A must be connected and find B's directory record before it can seal to B.
    await waitUntilReachable(a, b)

    const submitted = await submitMessages(a, { to: 'BB', count: COUNT, concurrency: 16 })
    const ids = new Set(submitted.map((s) => s.messageId))
    expect(ids.size).toBe(COUNT)

    // Failure guard only: delivery runs in the background until every receipt is in.
    await waitFor(async () => (await outbox(a)).length === 0, {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: "A's outbox to drain",
    })
    const [ha, hb] = await Promise.all([health(a), health(b)])
    expect(ha.outboxDepth).toBe(0)
    expect(ha.oldestUndeliveredAt).toBeNull()
    expect(ha.delivered).toBe(COUNT)
    expect(hb.received).toBe(COUNT)
    const inboxIds = (await inbox(b)).filter((m) => m.from === 'AA').map((m) => m.messageId)
    expect(inboxIds).toHaveLength(COUNT)
    expect(new Set(inboxIds)).toEqual(ids)

    expect(await stopNode(a)).toEqual({ code: 0, signal: null })
    expect(await stopNode(b)).toEqual({ code: 0, signal: null })

    const audit = await auditDelivery(a, b)
    expect(audit.sender.verify.problem).toBeUndefined()
    expect(audit.sender.verify.ok).toBe(true)
    expect(audit.receiver.verify.problem).toBeUndefined()
    expect(audit.receiver.verify.ok).toBe(true)
    expect(audit.duplicates).toEqual({ receipts: [], received: [], sent: [] })
    // all sent, all receipted as accepted, nothing rejected or given up
    expect(new Set(audit.sent.keys())).toEqual(ids)
    expect(new Set(audit.accepted.keys())).toEqual(ids)
    expect(audit.rejected).toEqual([])
    expect(audit.failed).toEqual([])
    // exactly once at B
    expect(audit.received.size).toBe(COUNT)
    expect(new Set(audit.received.keys())).toEqual(ids)
    // both ledgers agree on the message bytes, and on the receipt bytes
    for (const id of ids) {
      expect(audit.received.get(id)?.envelope).toBe(audit.sent.get(id))
      expect(audit.received.get(id)?.receipt).toBe(audit.accepted.get(id))
    }
    expect(new Set([...audit.received.values()].map((r) => r.envelope))).toEqual(new Set(audit.sent.values()))
  })
})
