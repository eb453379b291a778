import { NodeIdentity } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { keyHistoryOf, rotationVersion } from '../src/key-history.ts'
import {
  type AmendmentBody,
  encodeRosterBody,
  encodeRosterDocument,
  type GenesisBody,
  parseRosterDocument,
  type RosterChange,
  signRosterBody,
  verifyRosterChain,
} from '../src/roster/index.ts'

const fr = NodeIdentity.generate()
const de = NodeIdentity.generate()
const frSecond = NodeIdentity.generate()
const frThird = NodeIdentity.generate()

function genesis(): Uint8Array {
  const body: GenesisBody = {
    kind: 'genesis',
    network: 'test-net',
    version: 0,
    createdAt: 1,
    threshold: 1,
    members: [
      { country: 'FR', name: 'France', publicKey: fr.signingPublicKey },
      { country: 'DE', name: 'Germany', publicKey: de.signingPublicKey },
    ],
  }
  const bytes = encodeRosterBody(body)
  return encodeRosterDocument(bytes, [signRosterBody(fr, bytes), signRosterBody(de, bytes)])
}

function amendment(prev: Uint8Array, version: number, changes: RosterChange[]): Uint8Array {
  const body: AmendmentBody = {
    kind: 'amendment',
    network: 'test-net',
    version,
    prev: parseRosterDocument(prev).hash,
    createdAt: version + 1,
    changes,
  }
  const bytes = encodeRosterBody(body)
  return encodeRosterDocument(bytes, [signRosterBody(de, bytes)])
}

describe('the key history a roster chain authorises', () => {
  const v0 = genesis()
  const v1 = amendment(v0, 1, [{ op: 'threshold', threshold: 1 }])
  const v2 = amendment(v1, 2, [{ op: 'rotate', country: 'FR', publicKey: frSecond.signingPublicKey }])
  const v3 = amendment(v2, 3, [{ op: 'rotate', country: 'FR', publicKey: frThird.signingPublicKey }])
  const chain = verifyRosterChain([v0, v1, v2, v3])

  it('lists each country’s keys in order, with when they were given and retired', () => {
    expect(keyHistoryOf(chain, 'FR')).toEqual([
      { publicKey: fr.signingPublicKey, fromVersion: 0, retired: { how: 'rotated', atVersion: 2 } },
      { publicKey: frSecond.signingPublicKey, fromVersion: 2, retired: { how: 'rotated', atVersion: 3 } },
      { publicKey: frThird.signingPublicKey, fromVersion: 3 },
    ])
    expect(keyHistoryOf(chain, 'DE')).toEqual([{ publicKey: de.signingPublicKey, fromVersion: 0 }])
    expect(keyHistoryOf(chain, 'IT')).toEqual([])
  })

  it('authorises a hand-over to the current key from an earlier one, at the version that gave it', () => {
    expect(rotationVersion(chain, 'FR', frSecond.signingPublicKey, frThird.signingPublicKey)).toBe(3)
    // a node that slept through two rotations hands over from its founder key at once
    expect(rotationVersion(chain, 'FR', fr.signingPublicKey, frThird.signingPublicKey)).toBe(3)
    // never to a retired key, nor from another country's key
    expect(rotationVersion(chain, 'FR', fr.signingPublicKey, frSecond.signingPublicKey)).toBeUndefined()
    expect(rotationVersion(chain, 'FR', de.signingPublicKey, frThird.signingPublicKey)).toBeUndefined()
  })

  it('marks a revoked key', () => {
    const v4 = amendment(v3, 4, [{ op: 'revoke', country: 'FR' }])
    const revoked = verifyRosterChain([v0, v1, v2, v3, v4])
    expect(keyHistoryOf(revoked, 'FR').at(-1)?.retired).toEqual({ how: 'revoked', atVersion: 4 })
  })
})
