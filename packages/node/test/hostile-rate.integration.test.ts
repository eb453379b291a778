import { lpStream } from '@libp2p/utils'
import { sha256 } from '@pocnet/crypto'
import { verifyReceipt } from '@pocnet/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELIVERY_PROTOCOL, type PocnetDaemon } from '../src/index.ts'
import { HTTP_GARBAGE } from './fixtures/craft.ts'
import {
  createTestFederation,
  startCollectingWarnings,
  TEST_NETWORK,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

/**
 * A member past its rate limit keeps sending: each frame is answered `rate-limited` and counted,
 * but the log gets at most one line per member every 10 s, however fast it sends (a log line per
 * frame would let a member fill the victim's disk with its own refusals).
 */

const VICTIM = 0
const ATTACKER = 1
const RATE = 10
const FRAMES = 300
const GUARD_MS = 20_000

interface LogLine {
  event: string
  peer?: string
  reason?: string
  rateLimitedSinceStart?: number
  rejectedSinceStart?: number
}

describe('a member over its rate limit', () => {
  let fed: TestFederation
  let victim: PocnetDaemon
  let attacker: PocnetDaemon
  const logs: LogLine[] = []

  beforeAll(async () => {
    fed = await createTestFederation(['FR', 'DE'], (config, i) => {
      if (i === VICTIM) config.delivery.perPeerPerMinute = RATE
    })
    attacker = await fed.start(ATTACKER)
    victim = await startCollectingWarnings(fed, VICTIM, logs)
    await until(() => victim.health().connectedCountries.includes('DE'), 'FR to connect to DE', GUARD_MS)
  }, 60_000)

  afterAll(async () => {
    await victim?.stop()
    await fed?.cleanup()
  })

  it(`${FRAMES} frames: each answered and counted, the log told once`, async () => {
    const signal = AbortSignal.timeout(GUARD_MS)
    const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), DELIVERY_PROTOCOL, {
      signal,
    })
    const lp = lpStream(stream)
    const outcomes: string[] = []
    for (let i = 0; i < FRAMES; i++) {
      await lp.write(HTTP_GARBAGE, { signal })
      const checked = verifyReceipt((await lp.read({ signal })).subarray(), {
        receiverPublicKey: victim.identity.signingPublicKey,
        networkId: TEST_NETWORK,
        envelopeHash: sha256(HTTP_GARBAGE),
      })
      if (!checked.ok) throw new Error(`not the victim's receipt: ${checked.check}`)
      outcomes.push(checked.receipt.status === 'rejected' ? checked.receipt.reason : 'accepted')
    }
    await stream.close({ signal }).catch(() => {})

    expect(outcomes.slice(0, RATE)).toEqual(Array.from({ length: RATE }, () => 'malformed'))
    expect(outcomes.slice(RATE)).toEqual(Array.from({ length: FRAMES - RATE }, () => 'rate-limited'))
    expect(victim.receiver.rejections['rate-limited']).toBe(FRAMES - RATE)
    const told = logs.filter((l) => l.event === 'delivery.rejected' && l.reason === 'rate-limited')
    expect(told).toEqual([
      expect.objectContaining({ peer: attacker.identity.peerId.toString(), rateLimitedSinceStart: 1 }),
    ])
    // the other reasons are told once per reason every 10 s too, with the count so far
    expect(victim.receiver.rejections.malformed).toBe(RATE)
    expect(logs.filter((l) => l.event === 'delivery.rejected' && l.reason === 'malformed')).toEqual([
      expect.objectContaining({ peer: attacker.identity.peerId.toString(), rejectedSinceStart: 1 }),
    ])
  })
})
