import { NodeIdentity, peerIdFromEd25519PublicKey } from '@pocnet/crypto'
import { verifyRosterChain } from '@pocnet/directory'
import { signedGenesis } from '@pocnet/test-utils'
import { describe, expect, it } from 'vitest'
import {
  SenderKeyResolver,
  type SenderKeys,
  SenderKeyUnavailable,
  SenderRecentlyNotFound,
} from '../src/sender-keys.ts'

const fr = NodeIdentity.generate()
const stranger = NodeIdentity.generate()
const roster = verifyRosterChain([
  signedGenesis('pocnet-test', 1, [{ country: 'FR', name: 'France', publicKey: fr.signingPublicKey }], [fr]),
]).state
const frPeer = peerIdFromEd25519PublicKey(fr.signingPublicKey)
const frKeys: SenderKeys = { boxPublicKey: fr.boxPublicKey }
const TTL_MS = 30_000

/** A resolver over FR's record, on a clock the test moves; `found` says whether lookups find it. */
function resolverOf(found: { now: boolean }) {
  const clock = { now: 1_800_000_000_000 }
  const stamp = { FR: 'first' }
  const asked: string[] = []
  const resolver = new SenderKeyResolver(
    {
      getRoster: () => roster,
      keysOf: async (country) => {
        asked.push(country)
        return found.now ? frKeys : undefined
      },
      recordStampOf: (country) => stamp[country as 'FR'],
    },
    { now: () => clock.now, notFoundTtlMs: TTL_MS },
  )
  return { resolver, clock, stamp, asked }
}

describe('sender keys', () => {
  it("answers a member with its roster key and its record's keys, and no one else", async () => {
    const { resolver, asked } = resolverOf({ now: true })
    expect(await resolver.resolve(peerIdFromEd25519PublicKey(stranger.signingPublicKey))).toBeUndefined()
    expect(asked).toEqual([])
    expect(await resolver.resolve(frPeer)).toEqual({
      signingPublicKey: fr.signingPublicKey,
      boxPublicKey: fr.boxPublicKey,
      member: true,
    })
    expect(resolver.lookups).toBe(1)
  })

  it('keeps found keys for a minute, and forgets them when told', async () => {
    const { resolver, clock } = resolverOf({ now: true })
    await resolver.resolve(frPeer)
    clock.now += 59_000
    await resolver.resolve(frPeer)
    expect(resolver.lookups, 'cached').toBe(1)
    clock.now += 1_000
    await resolver.resolve(frPeer)
    expect(resolver.lookups, 'looked up again after a minute').toBe(2)
    expect(resolver.dropCachedKeys(frPeer)).toBe(true)
    expect(resolver.dropCachedKeys(frPeer), 'nothing left to drop').toBe(false)
    await resolver.resolve(frPeer)
    expect(resolver.lookups).toBe(3)
  })

  it('shares one lookup among envelopes that arrive while it runs', async () => {
    const { resolver, asked } = resolverOf({ now: true })
    await Promise.all([resolver.resolve(frPeer), resolver.resolve(frPeer), resolver.resolve(frPeer)])
    expect(asked).toEqual(['FR'])
  })

  it('remembers a failed lookup until its time ends or a newer record arrives', async () => {
    const found = { now: false }
    const { resolver, clock, stamp } = resolverOf(found)
    await expect(resolver.resolve(frPeer)).rejects.toBeInstanceOf(SenderKeyUnavailable)
    const remembered = await resolver.resolve(frPeer).catch((err: unknown) => err)
    expect(remembered).toBeInstanceOf(SenderRecentlyNotFound)
    expect((remembered as SenderRecentlyNotFound).miss.until).toBe(clock.now + TTL_MS)
    expect(resolver.lookups, 'answered from memory').toBe(1)
    clock.now += TTL_MS
    await expect(resolver.resolve(frPeer)).rejects.toBeInstanceOf(SenderKeyUnavailable)
    expect(resolver.lookups, 'looked up again once the time ended').toBe(2)
    stamp.FR = 'newer'
    found.now = true
    expect(await resolver.resolve(frPeer)).toMatchObject({ boxPublicKey: fr.boxPublicKey })
    expect(resolver.lookups, 'the newer record ended the entry').toBe(3)
  })
})
