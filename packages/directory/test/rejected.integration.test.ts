import { waitFor } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryKey, RecordNotFoundError, type Rejection, signRecord } from '../src/index.ts'
import { contactDetails, type Member, makeFounders, startMember, stopAll } from './fixtures/network.ts'

/**
 * `onRejected`: what the DHT validator, the directory and roster sync refuse from peers reaches
 * the node with a reason code; a record this node (or an honest peer) stored earlier and that has
 * since expired is dropped, not reported as a peer's fault.
 */

const DAY_MS = 86_400_000

describe('rejections reported to onRejected', () => {
  const f = makeFounders(2, 1)
  const [aId, bId] = f.identities
  const [A, B] = f.countries as [string, string]
  let clock = Date.now()
  const now = () => clock
  const heardByB: Rejection[] = []
  let a: Member
  let b: Member

  beforeAll(async () => {
    a = await startMember({ identity: aId!, country: A, chain: f.chain, now })
    b = await startMember({
      identity: bId!,
      country: B,
      chain: f.chain,
      now,
      onRejected: (r) => heardByB.push(r),
    })
    await b.libp2p.dial(a.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    await waitFor(() => b.libp2p.getPeers().length > 0, 'B to connect to A')
    await waitFor(async () => (await a.directory.publish(contactDetails(aId!))).storedBy > 0, 'B to store A')
  }, 30_000)

  afterAll(async () => {
    await stopAll([a, b])
  })

  it('a record put by a peer with a bad signature: reported with the problem and the country', async () => {
    const genuine = a.directory.ownRecord!.record
    const forged = signRecord(bId!, { ...genuine, seq: genuine.seq + 1 })
    // A's kad-dht sends the forged record to B as PUT_VALUE
    for await (const _ of a.libp2p.services.dht.put(directoryKey(A), forged, {
      signal: AbortSignal.timeout(5_000),
    })) {
      // drain
    }
    await waitFor(() => heardByB.some((r) => r.reason === 'bad-signature'), 'the refusal to be reported')
    expect(heardByB).toEqual([{ protocol: 'dht', reason: 'bad-signature', country: A }])
  })

  it('records that expired since they were stored are dropped, not reported', async () => {
    heardByB.length = 0
    expect((await b.directory.lookup(A, { sources: ['dht'] })).record.country).toBe(A)
    clock += 8 * DAY_MS // past the record's 7 days: both nodes hold only an expired record now
    await expect(b.directory.lookup(A, { sources: ['dht'] })).rejects.toThrow(RecordNotFoundError)
    expect(heardByB).toEqual([])
  })
})
