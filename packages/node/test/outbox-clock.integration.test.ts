import { waitFor } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, type PocnetDaemon } from '../src/index.ts'
import { Outbox } from '../src/outbox.ts'
import { createTestFederation, TEST_NETWORK, type TestFederation } from './fixtures/federation.ts'

// Retries are timed by a monotonic clock: the wall clock set back (NTP stepping a clock that ran
// fast, a VM restored) must not hold every queued message back by the size of the step. Expiry
// stays on the wall clock, since a message's queue time comes from the ledger across restarts.
describe('outbox retries when the wall clock steps back', () => {
  let fed: TestFederation
  let node: PocnetDaemon
  beforeAll(async () => {
    fed = await createTestFederation(['IT', 'FR'])
    node = await fed.start(0)
  })
  afterAll(async () => {
    await fed?.cleanup()
  })

  it('keeps retrying at its backoff after the clock goes back an hour', async () => {
    let offset = 0
    const outbox = new Outbox({
      host: node.host,
      identity: node.identity,
      network: TEST_NETWORK,
      ledger: node.ledger,
      getRoster: () => node.roster,
      // a counterpart at an address where nothing listens: every attempt fails and is retried
      resolve: async (country) => ({
        country,
        signingPublicKey: node.identity.signingPublicKey,
        boxPublicKey: node.identity.boxPublicKey,
        addresses: ['/ip4/127.0.0.1/tcp/1'],
      }),
      limits: { maxEnvelopeBytes: 64 * 1024, readTimeoutMs: 2_000 },
      policy: { initialBackoffMs: 100, maxBackoffMs: 200, expiryMs: 24 * 3600_000 },
      log: createLogger({ level: 'error' }),
      now: () => Date.now() + offset,
    })
    await outbox.start()
    try {
      await outbox.submit({
        to: 'FR',
        caseId: '',
        kind: 'note',
        payload: new TextEncoder().encode('hello'),
        actor: 'node',
      })
      // the first attempt has failed and its retry is scheduled
      await waitFor(() => outbox.list().find((i) => i.lastError !== undefined), {
        timeoutMs: 10_000,
        intervalMs: 20,
        description: 'the first attempt to fail',
      })
      offset = -3600_000
      const retried = await waitFor(() => outbox.list().find((i) => i.attempts >= 3), {
        timeoutMs: 8_000,
        intervalMs: 20,
        description: 'two more attempts',
      })
      expect(retried.attempts).toBeGreaterThanOrEqual(3)
      // what the outbox shows is still a time on the (now earlier) wall clock, soon
      const shown = outbox.list()[0]!.nextAttemptAt - (Date.now() + offset)
      expect(shown).toBeLessThanOrEqual(1_000)
    } finally {
      await outbox.stop()
    }
  })
})
