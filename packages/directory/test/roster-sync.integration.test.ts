import { NodeIdentity, toHex } from '@pocnet/crypto'
import { encode } from '@pocnet/protocol'
import { requestOnce, serveRequests } from '@pocnet/protocol/reqresp'
import { waitFor } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROSTER_PROTOCOL } from '../src/constants.ts'
import {
  RecordNotFoundError,
  type RosterAdoption,
  type RosterChange,
  RosterForkError,
  RosterThresholdError,
} from '../src/index.ts'
import { parseRosterDocument } from '../src/roster/index.ts'
import {
  contactDetails,
  type Founders,
  type Member,
  makeFounders,
  NETWORK,
  signedDocument,
  startMember,
  startNetwork,
  stopAll,
} from './fixtures/network.ts'

function amend(
  chain: Uint8Array[],
  from: Member,
  changes: RosterChange[],
  signers: NodeIdentity[],
): Uint8Array[] {
  const state = from.keeper.state
  const doc = signedDocument(
    {
      kind: 'amendment',
      network: NETWORK,
      version: state.version + 1,
      prev: state.hash,
      createdAt: Date.now(),
      changes,
    },
    signers,
  )
  return [...chain, doc]
}

describe('roster exchange between 5 member nodes (threshold 3)', () => {
  let founders: Founders
  let nodes: Member[] = []
  let newcomer: Member | undefined
  const candidate = NodeIdentity.generate()
  const adoptions: RosterAdoption[] = []

  beforeAll(async () => {
    founders = makeFounders(5, 3)
    nodes = await startNetwork(founders)
    nodes[4]!.keeper.onRosterAdopted((a) => adoptions.push(a))
    await Promise.all(nodes.map((n) => n.directory.publish(contactDetails(n.identity))))
  })
  afterAll(async () => {
    await stopAll([...nodes, newcomer])
  })

  it('admitting a country: all nodes adopt it, then accept its connections and its record', async () => {
    const chain = amend(
      nodes[0]!.keeper.documents,
      nodes[0]!,
      [
        {
          op: 'admit',
          member: { country: 'ZA', name: 'South Africa', publicKey: candidate.signingPublicKey },
        },
      ],
      founders.identities.slice(0, 3),
    )
    newcomer = await startMember({ identity: candidate, country: 'ZA', chain })
    // before adoption the members refuse the newcomer
    await expect(
      nodes[2]!.libp2p.dial(newcomer.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow(/gater/)

    // one operator loads the amendment; the others learn it over /pocnet/roster/1.0.0
    expect(nodes[0]!.keeper.offer(chain)).toBe('adopted')
    await waitFor(() => nodes.every((n) => n.keeper.state.version === 1), 'every node to adopt version 1')
    expect(adoptions.map((a) => [a.previousVersion, a.version, toHex(a.hash)])).toEqual([
      [0, 1, toHex(nodes[0]!.keeper.state.hash)],
    ])

    for (const n of nodes)
      await newcomer.libp2p.dial(n.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    const published = await newcomer.directory.publish(contactDetails(candidate, 'South Africa desk'))
    expect(published.storedBy).toBeGreaterThan(0)
    for (const n of nodes) {
      const found = await n.directory.lookup('ZA', { signal: AbortSignal.timeout(10_000) })
      expect(found.record.unit).toBe('South Africa desk')
    }
  })

  it('fewer than t signatures are refused with the reason, and nothing changes', () => {
    const weak = amend(
      nodes[1]!.keeper.documents,
      nodes[1]!,
      [{ op: 'threshold', threshold: 2 }],
      founders.identities.slice(0, 2),
    )
    expect(() => nodes[1]!.keeper.offer(weak)).toThrow(RosterThresholdError)
    expect(() => nodes[1]!.keeper.offer(weak)).toThrow(
      /2 valid signature\(s\) of members of version 1, 3 required/,
    )
    expect(nodes[1]!.keeper.state.version).toBe(1)
  })

  it('a member claiming to be ahead over and over makes the answerer pull from it once', async () => {
    const [asker, answerer] = [nodes[0]!, nodes[1]!]
    const state = answerer.keeper.state
    // a version ahead of everyone's, with a head no one has: each claim would cost a pull
    const claim = encode({ version: state.version + 1, head: new Uint8Array(32).fill(7) })
    const suppressedBefore = answerer.sync.suppressed
    const failuresBefore = answerer.sync.failures
    for (let i = 0; i < 10; i++) {
      const answer = await requestOnce(asker.libp2p, answerer.identity.peerId, ROSTER_PROTOCOL, claim, {
        maxResponseBytes: 1 << 20,
        signal: AbortSignal.timeout(5_000),
        decode: (frame) => frame,
      })
      expect(answer.length).toBeGreaterThan(0)
    }
    // one pull followed the first claim (the asker then answered it was not ahead at all);
    // the nine repeats were not followed, and nothing was adopted
    expect(answerer.sync.suppressed - suppressedBefore).toBe(9)
    expect(answerer.sync.failures).toBe(failuresBefore)
    expect(answerer.keeper.state.version).toBe(state.version)
  })

  it('revoking a country: its connections are closed and refused, and its record no longer resolves', async () => {
    const chain = amend(
      nodes[1]!.keeper.documents,
      nodes[1]!,
      [{ op: 'revoke', country: 'ZA' }],
      founders.identities.slice(1, 4),
    )
    expect(nodes[1]!.keeper.offer(chain)).toBe('adopted')
    await waitFor(() => nodes.every((n) => n.keeper.state.version === 2), 'every node to adopt version 2')
    await waitFor(
      () => nodes.every((n) => !n.libp2p.getPeers().some((p) => p.equals(candidate.peerId))),
      'connections to the revoked node to close',
    )
    await expect(
      nodes[3]!.libp2p.dial(newcomer!.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow(/gater/)
    for (const n of nodes) {
      await expect(n.directory.lookup('ZA', { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(
        RecordNotFoundError,
      )
    }
  })

  it('rotating a key: the old key is cut off and its record refused; a record by the new key resolves', async () => {
    const fresh = NodeIdentity.generate()
    const old = nodes[3]!
    const chain = amend(
      nodes[0]!.keeper.documents,
      nodes[0]!,
      [{ op: 'rotate', country: old.country, publicKey: fresh.signingPublicKey }],
      founders.identities.slice(0, 3),
    )
    expect(nodes[0]!.keeper.offer(chain)).toBe('adopted')
    const others = nodes.filter((n) => n !== old)
    await waitFor(() => others.every((n) => n.keeper.state.version === 3), 'every node to adopt version 3')
    await waitFor(
      () => others.every((n) => !n.libp2p.getPeers().some((p) => p.equals(old.identity.peerId))),
      'connections to the rotated-away key to close',
    )
    for (const n of others) {
      await expect(n.directory.lookup(old.country, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(
        RecordNotFoundError,
      )
    }
    await stopAll([old])
    const rotated = await startMember({ identity: fresh, country: old.country, chain })
    nodes[3] = rotated
    for (const n of others)
      await rotated.libp2p.dial(n.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
    await rotated.directory.publish(contactDetails(fresh, 'rotated desk'))
    for (const n of others) {
      const found = await n.directory.lookup(old.country, { signal: AbortSignal.timeout(10_000) })
      expect(found.record.unit).toBe('rotated desk')
    }
  })

  it('a forked amendment is refused by every node, which keeps its version and reports the fork', async () => {
    // founder 3's key was rotated away above, so it signs neither branch
    const [a, b, c, e] = [0, 1, 2, 4].map((i) => founders.identities[i]!) as [
      NodeIdentity,
      NodeIdentity,
      NodeIdentity,
      NodeIdentity,
    ]
    const base = nodes[0]!.keeper.documents
    const branchOne = amend(base, nodes[0]!, [{ op: 'threshold', threshold: 4 }], [a, b, c])
    const branchTwo = amend(base, nodes[0]!, [{ op: 'threshold', threshold: 2 }], [b, c, e])
    const forks: number[] = []
    for (const n of nodes) n.keeper.onRosterFork((f) => forks.push(f.version))

    expect(nodes[0]!.keeper.offer(branchOne)).toBe('adopted')
    await waitFor(() => nodes.every((n) => n.keeper.state.version === 4), 'every node to adopt version 4')
    expect(() => nodes[2]!.keeper.offer(branchTwo)).toThrow(RosterForkError)
    expect(() => nodes[2]!.keeper.offer(branchTwo)).toThrow(/roster fork at version 4/)

    // a node that holds the other branch meets the network: every member refuses it
    const rogue = await startMember({ identity: e, country: founders.countries[4]!, chain: branchTwo })
    try {
      await nodes[4]!.libp2p.stop()
      for (const n of nodes.slice(0, 4))
        await rogue.libp2p.dial(n.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(5_000) })
      await waitFor(() => forks.length >= 4, 'every running node to report the fork')
      for (const n of nodes.slice(0, 4)) {
        expect(n.keeper.state.threshold).toBe(4)
        expect(n.keeper.fork?.version).toBe(4)
      }
    } finally {
      await stopAll([rogue])
    }
  })
})

describe('a claim that arrives while a pull from the same peer runs', () => {
  let founders: Founders
  let nodes: Member[] = []
  beforeAll(async () => {
    founders = makeFounders(2, 1)
    nodes = await startNetwork(founders)
  })
  afterAll(async () => {
    await stopAll(nodes)
  })

  it('earns one more pull once that pull is done, so a version adopted meanwhile is not missed', async () => {
    const [a, b] = nodes as [Member, Member]
    // a stands in for a member that answers b's first pull "current", then adopts version 1
    const next = amend(a.keeper.documents, a, [{ op: 'threshold', threshold: 1 }], [founders.identities[0]!])
    await a.sync.stop()
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    let asked = 0
    await serveRequests(
      a.libp2p,
      ROSTER_PROTOCOL,
      {
        decode: (frame) => frame,
        answer: async () => {
          asked++
          if (asked === 1) {
            await held
            return encode({ chain: null })
          }
          return encode({ chain: next })
        },
      },
      { maxRequestBytes: 1024, timeoutMs: 10_000, maxInboundStreams: 4, requestsPerStream: 1 },
    )
    const claim = (version: number, head: Uint8Array) =>
      requestOnce(a.libp2p, b.libp2p.peerId, ROSTER_PROTOCOL, encode({ version, head }), {
        maxResponseBytes: 1024 * 1024,
        signal: AbortSignal.timeout(5_000),
        decode: (frame) => frame,
      })
    // a first claim makes b pull from a; a holds that pull
    await claim(1, new Uint8Array(32).fill(7))
    await waitFor(() => asked === 1, "b's pull to reach a")
    // a second, different claim arrives while b's pull runs
    const suppressedBefore = b.sync.suppressed
    await claim(1, parseRosterDocument(next[1]!).hash)
    release()
    // only the second pull can bring version 1: the held one was answered "current"
    await waitFor(() => b.keeper.state.version === 1, 'b at version 1')
    expect(b.sync.suppressed).toBe(suppressedBefore)
  })
})
