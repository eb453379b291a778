import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { NodeIdentity } from '@pocnet/crypto'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELIVERY_PROTOCOL, type PocnetDaemon } from '../src/index.ts'
import { createTestFederation, startCollectingWarnings, type TestFederation } from './fixtures/federation.ts'

/**
 * Non-members connecting again and again, each time under a fresh key (a key pair costs nothing):
 * the gater refuses every one and counts it, but the log gets at most one line every 10 s, or
 * anyone who can reach the port could fill the node's disk with its refusals.
 */

const OUTSIDERS = 25
const GUARD_MS = 20_000

interface LogLine {
  event: string
  peer?: string
  stage?: string
  refusedSinceStart?: number
}

describe('non-members refused by the gater', () => {
  let fed: TestFederation
  let victim: PocnetDaemon
  const logs: LogLine[] = []

  beforeAll(async () => {
    fed = await createTestFederation(['FR'])
    victim = await startCollectingWarnings(fed, 0, logs)
  }, 60_000)

  afterAll(async () => {
    await victim?.stop()
    await fed?.cleanup()
  })

  it(`${OUTSIDERS} connections under fresh keys: each refused and counted, the log told once`, async () => {
    const before = victim.health().refusedConnections
    for (let i = 0; i < OUTSIDERS; i++) {
      const outsider = await createLibp2p({
        privateKey: NodeIdentity.generate().privateKey,
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
      })
      try {
        await expect(
          outsider.dialProtocol(victim.host.getMultiaddrs()[0]!, DELIVERY_PROTOCOL, {
            signal: AbortSignal.timeout(GUARD_MS),
          }),
        ).rejects.toThrow()
      } finally {
        await outsider.stop()
      }
    }
    expect(victim.health().refusedConnections).toBe(before + OUTSIDERS)
    expect(victim.host.getPeers()).toHaveLength(0)
    const told = logs.filter((l) => l.event === 'gater.refused')
    expect(told).toEqual([expect.objectContaining({ stage: 'inbound', refusedSinceStart: before + 1 })])
  })
})
