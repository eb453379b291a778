import { bytesEqual, NodeIdentity, SignatureContext } from '@pocnet/crypto'
import { encode } from '@pocnet/protocol'
import { waitFor } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DIR_FETCH_PROTOCOL,
  type DirectoryRecord,
  directoryKey,
  encodeRecordBody,
  type LookupOptions,
  type LookupResult,
  MAX_RECORD_BYTES,
  RecordNotFoundError,
  signRecord,
} from '../src/index.ts'
import {
  contactDetails,
  type Founders,
  type Member,
  makeFounders,
  startMember,
  startNetwork,
  stopAll,
} from './fixtures/network.ts'

/** Puts raw bytes under a country's key from `from`, bypassing the Directory; returns how many peers stored them. */
async function rawPut(from: Member, country: string, bytes: Uint8Array): Promise<number> {
  const stored = new Set<string>()
  for await (const event of from.libp2p.services.dht.put(directoryKey(country), bytes, {
    signal: AbortSignal.timeout(10_000),
  })) {
    if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE' && event.record !== undefined)
      if (bytesEqual(event.record.value, bytes)) stored.add(event.from.toString())
  }
  return stored.size
}

/** Lookup with a bounded number of attempts (the DHT is eventually consistent). */
async function lookupWithin(
  node: Member,
  country: string,
  attempts = 3,
  sources?: LookupOptions['sources'],
): Promise<LookupResult> {
  for (let i = 1; ; i++) {
    try {
      return await node.directory.lookup(country, {
        signal: AbortSignal.timeout(10_000),
        ...(sources !== undefined && { sources }),
      })
    } catch (err) {
      if (i >= attempts) throw err
    }
  }
}

describe('directory on 10 member nodes', () => {
  let founders: Founders
  let nodes: Member[] = []
  let outsider: Member | undefined
  const genuineUnit = new Map<string, string>()

  beforeAll(async () => {
    founders = makeFounders(10, 6)
    nodes = await startNetwork(founders)
  })
  afterAll(async () => {
    await stopAll([...nodes, outsider])
  })

  it('every node publishes and resolves every other country', async () => {
    const published = await Promise.all(
      nodes.map((n) => n.directory.publish(contactDetails(n.identity, `desk ${n.country}`))),
    )
    for (const p of published) expect(p.storedBy).toBeGreaterThan(0)
    for (const n of nodes) genuineUnit.set(n.country, `desk ${n.country}`)
    for (const n of nodes) {
      for (const other of nodes) {
        if (other === n) continue
        const found = await lookupWithin(n, other.country, 3, ['dht'])
        expect(found.record.country).toBe(other.country)
        expect(found.record.unit).toBe(`desk ${other.country}`)
        expect(found.source).toBe('dht')
      }
    }
  })

  it('after an update (higher seq) every node sees the new record, and a replayed older one is never selected', async () => {
    const target = nodes[3]!
    const before = target.directory.ownRecord!
    const updated = await target.directory.publish(contactDetails(target.identity, 'renamed desk'))
    genuineUnit.set(target.country, 'renamed desk')
    expect(updated.record.seq).toBeGreaterThan(before.record.seq)
    for (const n of nodes) {
      if (n === target) continue
      const found = await lookupWithin(n, target.country)
      expect(found.record.unit).toBe('renamed desk')
    }
    // another member replays the old, validly signed record: every node has seen the newer seq
    expect(await rawPut(nodes[4]!, target.country, before.bytes)).toBe(0)
    for (const n of nodes) {
      if (n === target) continue
      expect((await lookupWithin(n, target.country)).record.seq).toBe(updated.record.seq)
    }
  })

  it('a record served directly by a connected member is verified like any other', async () => {
    const found = await nodes[0]!.directory.lookup(nodes[5]!.country, { sources: ['peer'] })
    expect(found.source).toBe('peer')
    expect(found.record.unit).toBe(genuineUnit.get(nodes[5]!.country))
  })

  it('a non-member node cannot connect in either direction', async () => {
    const stranger = NodeIdentity.generate()
    // the outsider runs with a roster of its own and a gater that would let anyone in
    outsider = await startMember({
      identity: stranger,
      country: 'AA',
      chain: makeFounders(1, 1, [stranger]).chain,
      gater: {},
    })
    // inbound: the member drops the connection once Noise has authenticated the outsider, so no
    // protocol stream ever opens (the outsider's dial itself may briefly look open)
    await expect(
      outsider.libp2p.dialProtocol(nodes[0]!.libp2p.getMultiaddrs(), DIR_FETCH_PROTOCOL, {
        signal: AbortSignal.timeout(5_000),
      }),
    ).rejects.toThrow()
    // outbound: a member refuses to dial a non-member at all
    await expect(
      nodes[1]!.libp2p.dial(outsider.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow(/gater/)
    for (const n of nodes) expect(n.libp2p.getPeers().some((p) => p.equals(stranger.peerId))).toBe(false)
  })

  it('poisoning attempts by a member are refused and lookups still return the genuine record', async () => {
    const attacker = nodes[5]!
    const victim = nodes[6]!
    const now = Date.now()
    const base: DirectoryRecord = {
      ...contactDetails(attacker.identity, 'poisoned'),
      country: victim.country,
      seq: Number.MAX_SAFE_INTEGER - 1,
      issuedAt: now,
      expiresAt: now + 86_400_000,
    }
    // control: the same put path stores a genuine record
    expect(await rawPut(attacker, attacker.country, attacker.directory.ownRecord!.bytes)).toBeGreaterThan(0)
    // a record for another country, signed with the attacker's own key
    expect(await rawPut(attacker, victim.country, signRecord(attacker.identity, base))).toBe(0)
    // its own record, filed under the victim's key
    const ownRecord = { ...base, country: attacker.country }
    expect(await rawPut(attacker, victim.country, signRecord(attacker.identity, ownRecord))).toBe(0)
    // an expired record of its own country
    const expired = { ...ownRecord, issuedAt: now - 20_000, expiresAt: now - 10_000 }
    expect(await rawPut(attacker, attacker.country, signRecord(attacker.identity, expired))).toBe(0)
    // an over-size value
    const big = encode({ body: new Uint8Array(MAX_RECORD_BYTES), sig: new Uint8Array(64) })
    expect(await rawPut(attacker, victim.country, big)).toBe(0)
    // a non-canonical body, validly signed by its own country (trailing byte after the body item)
    const body = encodeRecordBody({ ...ownRecord, seq: now + 5 })
    const padded = new Uint8Array([...body, 0])
    const nonCanonical = encode({
      body: padded,
      sig: attacker.identity.signer.sign(SignatureContext.directoryRecord, padded),
    })
    expect(await rawPut(attacker, attacker.country, nonCanonical)).toBe(0)

    for (const n of [nodes[0]!, nodes[8]!]) {
      const v = await lookupWithin(n, victim.country)
      expect(v.record.unit).toBe(genuineUnit.get(victim.country))
      const a = await lookupWithin(n, attacker.country)
      expect(a.record.unit).toBe(genuineUnit.get(attacker.country))
    }
  })

  it('lists every country with freshness and reachability', () => {
    const listed = nodes[0]!.directory.list()
    expect(listed.map((c) => c.country)).toEqual([...founders.countries].sort())
    for (const c of listed) {
      expect(c.member).toBe(true)
      expect(c.seq).toBeGreaterThan(0)
      expect(c.connected).toBe(true)
    }
    expect(
      listed.filter((c) => c.country !== nodes[0]!.country).every((c) => c.lastSeenAt !== undefined),
    ).toBe(true)
  })

  it('with half the nodes stopped, lookups of every known country still succeed', async () => {
    const stopped = nodes.slice(5)
    const alive = nodes.slice(0, 5)
    await stopAll(stopped)
    await waitFor(
      () =>
        alive.every(
          (n) => !n.libp2p.getPeers().some((p) => stopped.some((s) => s.identity.peerId.equals(p))),
        ),
      'connections to the stopped nodes to close',
    )
    for (const n of alive) {
      for (const country of founders.countries) {
        if (country === n.country) continue
        const found = await lookupWithin(n, country)
        expect(found.record.unit).toBe(genuineUnit.get(country))
        expect(['dht', 'stale-cache', 'peer']).toContain(found.source)
      }
    }
    const listed = alive[0]!.directory.list()
    expect(listed.filter((c) => !c.connected).map((c) => c.country)).toEqual(
      stopped.map((s) => s.country).sort(),
    )
  })

  it('an unknown country is not found', async () => {
    await expect(nodes[0]!.directory.lookup('ZZ', { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(
      RecordNotFoundError,
    )
  })
})
