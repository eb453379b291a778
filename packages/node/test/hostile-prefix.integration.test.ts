import type { Stream } from '@libp2p/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PocnetDaemon } from '../src/index.ts'
import { endlessLengthPrefix } from './fixtures/craft.ts'
import { createTestFederation, type TestFederation, until } from './fixtures/federation.ts'

/**
 * A member sending, on the directory's own request/response protocols, a length prefix that
 * never ends (every byte has its continuation bit set). The victim must cut the stream as soon
 * as the prefix is longer than its 1 KiB request cap could need (2 bytes), and count it; before,
 * it read on a byte at a time until its 5 s deadline, into an ever longer buffer.
 */

const VICTIM = 0
const ATTACKER = 1
const GUARD_MS = 20_000
/**
 * Half the directory's deadline for one request (DEFAULT_REQUEST_TIMEOUT_MS, 5 s): a stream the
 * deadline ends lives longer than this (its clock starts when the stream opens, before we send).
 */
const WELL_BEFORE_THE_DEADLINE_MS = 2_500
/** Continuation bytes the attacker sends, then waits: far more than any 1 KiB cap could need. */
const PREFIX_BYTES = 64

describe('an endless length prefix on the directory protocols', () => {
  let fed: TestFederation
  let victim: PocnetDaemon
  let attacker: PocnetDaemon

  beforeAll(async () => {
    fed = await createTestFederation(['FR', 'DE'])
    victim = await fed.start(VICTIM)
    attacker = await fed.start(ATTACKER)
    await until(() => victim.health().connectedCountries.includes('DE'), 'FR to connect to DE', GUARD_MS)
  }, 60_000)

  afterAll(async () => {
    await fed?.cleanup()
  })

  /** Sends the prefix and holds the stream; how long until the victim ended it. */
  async function heldFor(protocol: string): Promise<number> {
    const stream: Stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), protocol, {
      signal: AbortSignal.timeout(GUARD_MS),
    })
    const closed = new Promise<void>((resolve) => stream.addEventListener('close', () => resolve()))
    const started = Date.now()
    stream.send(endlessLengthPrefix(PREFIX_BYTES))
    await Promise.race([closed, new Promise((r) => setTimeout(r, GUARD_MS))])
    expect(stream.status, 'the victim ended the stream').not.toBe('open')
    return Date.now() - started
  }

  it('/pocnet/dir-fetch/1.0.0: cut on the prefix, not by the deadline, counted', async () => {
    const before = victim.directory.rejected
    expect(await heldFor('/pocnet/dir-fetch/1.0.0')).toBeLessThan(WELL_BEFORE_THE_DEADLINE_MS)
    await until(() => victim.directory.rejected > before, 'the refusal to be counted', GUARD_MS)
  })

  it('/pocnet/roster/1.0.0: cut on the prefix, not by the deadline', async () => {
    // (RosterSync.failures counts it; the daemon does not expose its RosterSync)
    expect(await heldFor('/pocnet/roster/1.0.0')).toBeLessThan(WELL_BEFORE_THE_DEADLINE_MS)
  })
})
