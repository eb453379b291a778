import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { seal } from '@pocnet/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SENDER_NOT_FOUND_TTL_MS } from '../src/constants.ts'
import type { PocnetDaemon } from '../src/index.ts'
import { keysOf } from './fixtures/craft.ts'
import {
  createTestFederation,
  deliveryStream,
  startCollectingWarnings,
  TEST_NETWORK,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

/**
 * The receiver's negative cache of senders' directory records (docs/threat-model.md, "Known
 * gaps"): a member whose record cannot be found costs one lookup, then its envelopes are
 * answered `try-later` from memory until the entry ends, by its time or by a fresh record.
 * CZ is a member that starts without contact details, so it publishes no record and no one
 * can find one; SK receives.
 */

const SENDER = 0
const RECEIVER = 1
/** The receiver's memory of a failed lookup in the first suite: short, so the test sees it end. */
const WINDOW_MS = 5_000

interface LogLine {
  event: string
  peer?: string
  reason?: string
  detail?: string
  country?: string
  deferred?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Pair {
  fed: TestFederation
  sender: PocnetDaemon
  receiver: PocnetDaemon
  logs: LogLine[]
  contactFile: string
  contact: Buffer
}

/** CZ without a directory record, and SK (started here, to read its warnings), connected. */
async function startPair(senderNotFoundTtlMs?: number): Promise<Pair> {
  const fed = await createTestFederation(['CZ', 'SK'])
  const contactFile = join(fed.nodes[SENDER]!.dataDir, 'contact.json')
  const contact = await readFile(contactFile)
  await rm(contactFile)
  const logs: LogLine[] = []
  const receiver = await startCollectingWarnings(fed, RECEIVER, logs, {
    ...(senderNotFoundTtlMs !== undefined && { senderNotFoundTtlMs }),
  })
  const sender = await fed.start(SENDER)
  await until(() => receiver.health().connectedCountries.includes('CZ'), 'SK to connect to CZ')
  return { fed, sender, receiver, logs, contactFile, contact }
}

/** A fresh envelope from CZ to SK, sent on its own stream; the receipt as SK signed it. */
async function deliver(p: Pair) {
  const envelope = seal({
    sender: p.sender.identity,
    recipient: keysOf(p.receiver.identity),
    networkId: TEST_NETWORK,
    caseId: '',
    kind: 'test',
    payload: randomBytes(64),
  })
  const stream = await deliveryStream(p.sender, p.receiver)
  try {
    const checked = await stream.exchange(envelope.bytes, envelope.envelopeHash)
    if (!checked.ok) throw new Error(`not SK's receipt: ${checked.check}`)
    return checked.receipt
  } finally {
    await stream.close().catch(() => {})
  }
}

const outcome = (r: Awaited<ReturnType<typeof deliver>>) => (r.status === 'rejected' ? r.reason : r.status)

function events(p: Pair, mark: number, event: string): LogLine[] {
  return p.logs.slice(mark).filter((l) => l.event === event)
}

describe('a sender whose directory record no one has', () => {
  let p: Pair

  beforeAll(async () => {
    p = await startPair(WINDOW_MS)
  }, 60_000)

  afterAll(async () => {
    await p?.receiver.stop()
    await p?.fed.cleanup()
  })

  it('costs one lookup; within the window its envelopes are answered "try-later" without another, counted apart and logged once; after it, a lookup again', async () => {
    const { receiver } = p
    const peer = p.sender.identity.peerId.toString()
    expect(receiver.receiver.senderLookups).toBe(0)

    // the window begins when the lookup has failed: after `start`, before `answered`
    const start = Date.now()
    let mark = p.logs.length
    expect(outcome(await deliver(p))).toBe('try-later')
    const answered = Date.now()
    expect(receiver.receiver.senderLookups, 'the first envelope looks the sender up').toBe(1)
    expect(receiver.receiver.rejections['try-later']).toBe(1)
    expect(events(p, mark, 'delivery.rejected')).toEqual([
      expect.objectContaining({ peer, reason: 'try-later', detail: 'no directory record of the sender' }),
    ])

    mark = p.logs.length
    for (let i = 0; i < 4; i++) expect(outcome(await deliver(p))).toBe('try-later')
    expect(
      Date.now() - start,
      'all sent within the window (else the machine is too slow for this test)',
    ).toBeLessThan(WINDOW_MS)
    expect(receiver.receiver.senderLookups, 'no lookup within the window').toBe(1)
    expect(receiver.receiver.rejections['try-later'], 'still one lookup answered try-later').toBe(1)
    expect(receiver.receiver.rejections['try-later-not-found']).toBe(4)
    expect(receiver.health().rejected['try-later-not-found'], 'shown by status').toBe(4)
    expect(events(p, mark, 'delivery.rejected'), 'not one line per envelope').toEqual([])
    expect(events(p, mark, 'delivery.sender-not-found')).toEqual([
      expect.objectContaining({ peer, country: 'CZ', deferred: 1 }),
    ])

    // after the window: looked up again (and, still not found, remembered again)
    await sleep(Math.max(0, answered + WINDOW_MS + 100 - Date.now()))
    mark = p.logs.length
    expect(outcome(await deliver(p))).toBe('try-later')
    expect(receiver.receiver.senderLookups, 'looked up again once the window ended').toBe(2)
    expect(receiver.receiver.rejections['try-later']).toBe(2)
    expect(events(p, mark, 'delivery.rejected')).toHaveLength(1)
    expect(outcome(await deliver(p))).toBe('try-later')
    expect(receiver.receiver.senderLookups).toBe(2)
    expect(receiver.receiver.rejections['try-later-not-found']).toBe(5)

    expect(await receiver.ledger.query({ counterpart: 'CZ' }), 'nothing stored').toEqual([])
  }, 60_000)

  it('envelopes arriving together cost one lookup between them', async () => {
    const { receiver } = p
    await sleep(WINDOW_MS + 200) // let the previous test's entry end
    const lookups = receiver.receiver.senderLookups
    const deferred = receiver.receiver.rejections['try-later-not-found'] ?? 0
    const failed = receiver.receiver.rejections['try-later'] ?? 0
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => deliver(p)))
    expect(outcomes.map(outcome)).toEqual(outcomes.map(() => 'try-later'))
    expect(receiver.receiver.senderLookups).toBe(lookups + 1)
    // one answered by the failed lookup, the others by its answer or the entry it left
    expect(receiver.receiver.rejections['try-later']).toBe(failed + 1)
    expect(receiver.receiver.rejections['try-later-not-found']).toBe(deferred + 7)
  }, 60_000)
})

describe('a sender remembered as not found whose record then arrives', () => {
  let p: Pair

  beforeAll(async () => {
    p = await startPair() // the default window
  }, 60_000)

  afterAll(async () => {
    await p?.receiver.stop()
    await p?.fed.cleanup()
  })

  it('is looked up again at once, long before the window ends, and its envelope accepted', async () => {
    const { receiver } = p
    const start = Date.now()
    expect(outcome(await deliver(p))).toBe('try-later')
    expect(outcome(await deliver(p))).toBe('try-later')
    expect(receiver.receiver.senderLookups).toBe(1)
    expect(receiver.receiver.rejections['try-later-not-found']).toBe(1)

    await writeFile(p.contactFile, p.contact)
    const published = await p.sender.publishOwnRecord()
    expect(published.storedBy, 'SK stores the record for the DHT').toBe(1)

    expect(outcome(await deliver(p))).toBe('accepted')
    expect(receiver.receiver.senderLookups, 'the fresh record ended the entry').toBe(2)
    expect(Date.now() - start).toBeLessThan(SENDER_NOT_FOUND_TTL_MS)
    expect(await receiver.ledger.query({ kind: 'message-received', counterpart: 'CZ' })).toHaveLength(1)
  }, 60_000)
})
