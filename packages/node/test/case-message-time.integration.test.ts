import { randomBytes } from 'node:crypto'
import { InvalidEventError, InvalidRequestError } from '@pocnet/cases'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CASE_EVENT_KIND, encodePayload } from '../src/casebook/payload.ts'
import type { PocnetDaemon } from '../src/index.ts'
import {
  createTestFederation,
  deliveryStream,
  preservationRequest,
  startCollectingWarnings,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

const HOUR_MS = 3600_000

// An event's `at` (a request's `openedAt`) orders the case and starts its legal clocks: it must lie
// within the protocol's clock skew of the time the envelope carrying it is signed with.
describe("a case message's own time against its envelope's signed time", () => {
  let fed: TestFederation
  let hu: PocnetDaemon
  let at: PocnetDaemon
  let offsetMs = 0
  let caseId: string
  const atLogs: Array<Record<string, unknown>> = []

  beforeAll(async () => {
    fed = await createTestFederation(['HU', 'AT'])
    hu = await fed.start(0, () => Date.now() + offsetMs)
    at = await startCollectingWarnings(fed, 1, atLogs)
    await until(() => hu.health().peersConnected > 0, 'HU to connect to AT')
    await Promise.all([hu.publishOwnRecord(), at.publishOwnRecord()])
    ;({ caseId } = await hu.cases.openRequest('AT', preservationRequest(), 'user:anna'))
    await until(() => hu.cases.detail(caseId).case.status === 'delivered', 'HU to see "delivered"')
  })

  afterAll(async () => {
    await at?.stop()
    await fed?.cleanup()
  })

  it('is refused on the sending side, naming the field, before anything is sent', async () => {
    offsetMs = HOUR_MS // the case clock an hour ahead of the clock envelopes are signed with
    try {
      const sent = async () => (await hu.ledger.query({ kind: 'message-sent' })).length
      const before = await sent()
      const step = await hu.cases
        .addEvent(caseId, { kind: 'withdrawn', reason: 'solved' }, 'user:anna')
        .catch((e: unknown) => e)
      expect(step).toBeInstanceOf(InvalidEventError)
      expect((step as InvalidEventError).problems).toEqual([
        {
          path: 'at',
          rule: 'consistency',
          message: expect.stringMatching(/is 60 min after the time its envelope is signed with .*clock skew/),
        },
      ])
      const request = await hu.cases
        .openRequest('AT', preservationRequest(), 'user:anna')
        .catch((e: unknown) => e)
      expect(request).toBeInstanceOf(InvalidRequestError)
      expect((request as InvalidRequestError).problems.map((p) => p.path)).toEqual(['openedAt'])
      expect(await sent()).toBe(before)
      expect(hu.cases.detail(caseId).case.status).toBe('delivered')
    } finally {
      offsetMs = 0
    }
  })

  it('is refused by the receiver as malformed, and the case is left as it was', async () => {
    // HU's outbox is paused: this test hands AT the forged envelope itself and reads the receipt
    await hu.outbox.stop()
    const held = hu.cases.detail(caseId).case
    const event = {
      kind: 'withdrawn',
      reason: 'solved',
      id: randomBytes(16).toString('hex'),
      seq: held.seq + 1,
      at: new Date(Date.now() - HOUR_MS).toISOString(),
      side: 'requester',
    }
    const { envelope } = await hu.outbox.submit({
      to: 'AT',
      caseId,
      kind: CASE_EVENT_KIND,
      payload: encodePayload({ type: 'event', caseId, event }),
      actor: 'user:anna',
    })
    const delivery = await deliveryStream(hu, at)
    try {
      const r = await delivery.exchange(envelope)
      expect(r.ok && r.receipt.status === 'rejected' && r.receipt.reason).toBe('malformed')
    } finally {
      await delivery.close()
    }
    expect(at.cases.detail(caseId).case.status).toBe('delivered')
    // logged through the case book's throttle, with the other refusals of what counterparts send
    expect(atLogs).toContainEqual(
      expect.objectContaining({
        event: 'cases.refused',
        from: 'HU',
        why: 'at outside the clock skew of the signed time',
      }),
    )
  })
})
