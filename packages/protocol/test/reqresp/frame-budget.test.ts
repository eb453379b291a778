import type { Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { FrameOverBudgetError } from '../../src/index.ts'
import {
  type ExchangeError,
  FrameBudget,
  type FrameBudgetLimits,
  type Responder,
  requestOnce,
  serveRequests,
} from '../../src/reqresp/index.ts'
import { type PeerPair, peerPair, varint } from '../fixtures/peers.ts'

const PROTOCOL = '/test/budget/1.0.0'
/** Small enough that libp2p's in-memory stream pair carries a whole frame quickly. */
const MAX_REQUEST = 64 * 1024
const TIMEOUT_MS = 10_000
const KiB = 1024

const echo: Responder<Uint8Array> = { decode: (frame) => frame, answer: async (frame) => frame }

interface Budgeted extends PeerPair {
  budget: FrameBudget
  failures: ExchangeError[]
  refusals: FrameOverBudgetError[]
  /** Each give back, as onReleased tells it: whether the bytes were a whole frame read. */
  releases: boolean[]
}

async function serveWithBudget(limits: FrameBudgetLimits): Promise<Budgeted> {
  const pair = peerPair()
  const refusals: FrameOverBudgetError[] = []
  const releases: boolean[] = []
  const budget = new FrameBudget({
    ...limits,
    onRefused: (refusal) => refusals.push(refusal),
    onReleased: (_peer, _heldNow, read) => releases.push(read),
  })
  const served: Budgeted = { ...pair, budget, failures: [], refusals, releases }
  await serveRequests(pair.server, PROTOCOL, echo, {
    maxRequestBytes: MAX_REQUEST,
    timeoutMs: TIMEOUT_MS,
    maxInboundStreams: 64,
    requestsPerStream: 1,
    budget,
    onFailure: (error) => served.failures.push(error),
  })
  return served
}

const rawStream = (pair: PeerPair): Promise<Stream> =>
  pair.client.dialProtocol({} as never, PROTOCOL, { signal: AbortSignal.timeout(TIMEOUT_MS) })

async function until(check: () => boolean, what: string): Promise<void> {
  const guard = AbortSignal.timeout(TIMEOUT_MS)
  while (!check()) {
    if (guard.aborted) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The start of a frame announcing `length` bytes: its prefix and `sent` bytes of its body. */
const partialFrame = (length: number, sent: number) =>
  Uint8Array.from([...varint(length), ...new Uint8Array(sent).fill(7)])

describe('FrameBudget', () => {
  it('refuses a take past the peer share or the total, taking nothing, and counts it', () => {
    const budget = new FrameBudget({ totalBytes: 100, perPeerBytes: 60 })
    budget.take('a', 50, PROTOCOL)
    expect(() => budget.take('a', 11, PROTOCOL)).toThrow(FrameOverBudgetError)
    budget.take('b', 50, PROTOCOL)
    expect(() => budget.take('c', 1, PROTOCOL)).toThrow(/frame budget \(100 bytes\)/)
    expect(budget.heldBytes).toBe(100)
    expect(budget.refused).toBe(2)
    budget.give('a', 50)
    budget.give('b', 50)
    expect(budget.heldBytes).toBe(0)
    expect(budget.holders).toBe(0)
  })

  it('names the limit in its refusal', () => {
    const budget = new FrameBudget({ totalBytes: 100, perPeerBytes: 60 })
    expect(() => budget.take('a', 61, PROTOCOL)).toThrow(
      'a frame from a needs 61 more bytes, over its share of the frame budget (60 bytes per peer)',
    )
  })

  it('refuses limits that are not positive whole numbers', () => {
    expect(() => new FrameBudget({ totalBytes: 0, perPeerBytes: 1 })).toThrow(/totalBytes/)
    expect(() => new FrameBudget({ totalBytes: 1, perPeerBytes: 1.5 })).toThrow(/perPeerBytes/)
  })
})

describe('frames read against a budget', () => {
  it('a partial frame holds what arrived, not what it announced', async () => {
    const served = await serveWithBudget({ totalBytes: 64 * MAX_REQUEST, perPeerBytes: 16 * MAX_REQUEST })
    const stream = await rawStream(served)
    stream.send(partialFrame(MAX_REQUEST, 100))
    await until(() => served.budget.heldBytes > 0, 'the first bytes to be held')
    expect(served.budget.heldBytes).toBeLessThanOrEqual(16 * KiB)
    stream.send(new Uint8Array(20 * KiB))
    await until(() => served.budget.heldBytes >= 20 * KiB, 'the buffer to grow')
    expect(served.budget.heldBytes).toBeLessThanOrEqual(2 * (20 * KiB + 100))
    stream.abort(new Error('done'))
    await until(() => served.budget.heldBytes === 0, 'the bytes to be given back')
  })

  it('a frame past the peer share is refused at once as over-budget, and its bytes given back', async () => {
    const served = await serveWithBudget({ totalBytes: 4 * MAX_REQUEST, perPeerBytes: MAX_REQUEST })
    const first = await rawStream(served)
    first.send(partialFrame(MAX_REQUEST, MAX_REQUEST - 1))
    await until(() => served.budget.heldBytes === MAX_REQUEST - 1, 'the first frame to be held')
    const second = await rawStream(served)
    const closed = new Promise((resolve) => second.addEventListener('close', resolve))
    second.send(partialFrame(MAX_REQUEST, 10))
    await closed
    await until(() => served.failures.length === 1, 'the refusal to be reported')
    expect(served.failures.map((f) => f.failure)).toEqual(['over-budget'])
    expect(served.refusals).toHaveLength(1)
    expect(served.budget.refused).toBe(1)
    expect(served.budget.heldBytes).toBe(MAX_REQUEST - 1)
    first.abort(new Error('done'))
    await until(() => served.budget.heldBytes === 0, 'the held frame to be given back')
  })

  it('an honest request is answered and gives back what it took', async () => {
    const served = await serveWithBudget({ totalBytes: MAX_REQUEST, perPeerBytes: MAX_REQUEST })
    const request = new Uint8Array(50 * KiB).fill(3)
    const answer = await requestOnce(served.client, {} as never, PROTOCOL, request, {
      maxResponseBytes: MAX_REQUEST,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      decode: (frame) => frame,
    })
    expect(answer).toEqual(request)
    await until(() => served.budget.heldBytes === 0, 'the frame to be given back')
    expect(served.failures).toEqual([])
    expect(served.releases, 'given back as a whole frame read').toContain(true)
  })

  it('a stream the sender closes mid-frame gives back its bytes: unexpected-end', async () => {
    const served = await serveWithBudget({ totalBytes: 4 * MAX_REQUEST, perPeerBytes: MAX_REQUEST })
    const stream = await rawStream(served)
    stream.send(partialFrame(MAX_REQUEST, 5 * KiB))
    await until(() => served.budget.heldBytes > 0, 'the bytes to be held')
    await stream.close()
    await until(() => served.failures.length === 1, 'the failure to be reported')
    expect(served.failures.map((f) => f.failure)).toEqual(['unexpected-end'])
    expect(served.budget.heldBytes).toBe(0)
    expect(served.releases, 'given back, never as a frame read').not.toContain(true)
  })
})
