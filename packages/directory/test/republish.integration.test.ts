import { lpStream } from '@libp2p/utils'
import { encode } from '@pocnet/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIR_FETCH_PROTOCOL, ROSTER_PROTOCOL } from '../src/index.ts'
import {
  connectMesh,
  contactDetails,
  type Member,
  makeFounders,
  startMember,
  stopAll,
} from './fixtures/network.ts'

const DAY = 86_400_000

describe('republishing and hostile peers on 3 member nodes', () => {
  let nodes: Member[] = []
  // node 0 runs on a clock we move: it starts six days in the past
  let offset = -6 * DAY

  beforeAll(async () => {
    const f = makeFounders(3, 2)
    nodes = await Promise.all(
      f.identities.map((identity, i) =>
        startMember({
          identity,
          country: f.countries[i]!,
          chain: f.chain,
          now: i === 0 ? () => Date.now() + offset : undefined,
        }),
      ),
    )
    await connectMesh(nodes)
  })
  afterAll(async () => {
    await stopAll(nodes)
  })

  it('republish stores the same record again while it is far from expiry', async () => {
    const first = await nodes[0]!.directory.publish(contactDetails(nodes[0]!.identity))
    const again = await nodes[0]!.directory.republish()
    expect(again?.bytes).toEqual(first.bytes)
    expect(again?.storedBy).toBeGreaterThan(0)
  })

  it('republish re-issues the record (higher seq, new expiry) when it nears expiry, and peers take it', async () => {
    const before = nodes[0]!.directory.ownRecord!
    offset = 0 // one day of validity left
    const reissued = await nodes[0]!.directory.republish()
    expect(reissued!.record.seq).toBeGreaterThan(before.record.seq)
    expect(reissued!.record.expiresAt).toBeGreaterThan(before.record.expiresAt)
    expect(reissued!.storedBy).toBeGreaterThan(0)
    const seen = await nodes[1]!.directory.lookup(nodes[0]!.country, { signal: AbortSignal.timeout(10_000) })
    expect(seen.record.seq).toBe(reissued!.record.seq)
  })

  it('malformed and over-size requests are refused and counted, and the node keeps serving', async () => {
    const [server, client] = [nodes[0]!, nodes[1]!]
    const rejectedBefore = server.directory.rejected
    const failuresBefore = server.sync.failures
    const send = async (protocol: string, bytes: Uint8Array) => {
      const signal = AbortSignal.timeout(5_000)
      const stream = await client.libp2p.dialProtocol(server.libp2p.getMultiaddrs(), protocol, { signal })
      const lp = lpStream(stream)
      await lp.write(bytes, { signal })
      await expect(lp.read({ signal })).rejects.toThrow()
    }
    await send(DIR_FETCH_PROTOCOL, encode({ country: 'france' }))
    await send(DIR_FETCH_PROTOCOL, new Uint8Array(4096))
    await send(ROSTER_PROTOCOL, encode({ version: -1, head: new Uint8Array(32) }))
    expect(server.directory.rejected).toBe(rejectedBefore + 2)
    expect(server.sync.failures).toBe(failuresBefore + 1)

    const found = await client.directory.lookup(server.country, { sources: ['peer'] })
    expect(found.source).toBe('peer')
    expect(await client.sync.sync(server.libp2p.peerId)).toBe('current')
  })
})
