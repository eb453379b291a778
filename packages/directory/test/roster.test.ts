import { NodeIdentity, toHex } from '@pocnet/crypto'
import { encode } from '@pocnet/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeRosterChain,
  encodeRosterBody,
  encodeRosterChain,
  encodeRosterDocument,
  type RosterChange,
  RosterChangeError,
  RosterForkError,
  RosterFormatError,
  RosterGenesisMismatchError,
  RosterKeeper,
  RosterLinkError,
  RosterRevokedSignerError,
  RosterSignatureError,
  RosterThresholdError,
  RosterUnknownSignerError,
  signRosterBody,
  verifyRosterChain,
} from '../src/index.ts'
import { makeFounders, NETWORK, signedDocument } from './fixtures/network.ts'

function amendment(
  chain: Uint8Array[],
  changes: RosterChange[],
  signers: NodeIdentity[],
  createdAt = 1_800_000_000_000,
) {
  const { state } = verifyRosterChain(chain)
  return signedDocument(
    { kind: 'amendment', network: NETWORK, version: state.version + 1, prev: state.hash, createdAt, changes },
    signers,
  )
}

describe('roster genesis', () => {
  it('verifies when every founder signs', () => {
    const f = makeFounders(4, 3)
    const { state } = verifyRosterChain(f.chain)
    expect(state.version).toBe(0)
    expect(state.threshold).toBe(3)
    expect([...state.members.keys()]).toEqual(f.countries)
    expect(state.memberByPeerId(f.identities[2]!.peerId)?.country).toBe(f.countries[2])
    expect(state.memberByPeerId(NodeIdentity.generate().peerId)).toBeUndefined()
  })

  it('is refused when one founder has not signed', () => {
    const f = makeFounders(3, 2)
    const doc = signedDocument(
      { kind: 'genesis', network: NETWORK, version: 0, createdAt: 1, threshold: 2, members: f.members },
      f.identities.slice(0, 2),
    )
    expect(() => verifyRosterChain([doc])).toThrow(RosterThresholdError)
    expect(() => verifyRosterChain([doc])).toThrow(
      /2 valid signature\(s\) of founders \(all must sign\), 3 required/,
    )
  })

  it('is refused when an outsider signs, naming the unknown signer', () => {
    const f = makeFounders(2, 1)
    const outsider = NodeIdentity.generate()
    const doc = signedDocument(
      { kind: 'genesis', network: NETWORK, version: 0, createdAt: 1, threshold: 1, members: f.members },
      [...f.identities, outsider],
    )
    expect(() => verifyRosterChain([doc])).toThrow(RosterUnknownSignerError)
    expect(() => verifyRosterChain([doc])).toThrow(toHex(outsider.signingPublicKey))
  })

  it('rejects malformed country codes, thresholds above the member count and duplicate founders', () => {
    const f = makeFounders(2, 1)
    const bad = {
      kind: 'genesis' as const,
      network: NETWORK,
      version: 0 as const,
      createdAt: 1,
      threshold: 1,
    }
    expect(() => encodeRosterBody({ ...bad, members: [{ ...f.members[0]!, country: 'fr' }] })).toThrow(
      /body\.members\[0\]\.country: must be two upper-case letters \(ISO 3166-1 alpha-2\)/,
    )
    expect(() => encodeRosterBody({ ...bad, members: [{ ...f.members[0]!, country: 'FRA' }] })).toThrow(
      RosterFormatError,
    )
    const tooHigh = signedDocument({ ...bad, threshold: 3, members: f.members }, f.identities)
    expect(() => verifyRosterChain([tooHigh])).toThrow(/threshold 3 exceeds the 2 founders/)
    const twice = signedDocument({ ...bad, members: [f.members[0]!, f.members[0]!] }, [f.identities[0]!])
    expect(() => verifyRosterChain([twice])).toThrow(RosterChangeError)
  })

  it('is refused when it is not the genesis this node trusts', () => {
    const a = makeFounders(2, 1)
    const b = makeFounders(2, 1)
    const trusted = verifyRosterChain(a.chain).state.genesisHash
    expect(() => verifyRosterChain(b.chain, { genesisHash: trusted })).toThrow(RosterGenesisMismatchError)
  })

  it('any change to the signed bytes is refused (property)', () => {
    const f = makeFounders(3, 2)
    const doc = f.chain[0]!
    fc.assert(
      fc.property(fc.nat({ max: doc.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const tampered = doc.slice()
        tampered[at]! ^= xor
        expect(() => verifyRosterChain([tampered])).toThrow()
      }),
      { numRuns: 200 },
    )
  })
})

describe('roster amendments', () => {
  const f = makeFounders(5, 3)
  const [a, b, c, d] = f.identities as [NodeIdentity, NodeIdentity, NodeIdentity, NodeIdentity, NodeIdentity]
  const candidate = NodeIdentity.generate()
  const admit: RosterChange = {
    op: 'admit',
    member: { country: 'ZA', name: 'South Africa', publicKey: candidate.signingPublicKey },
  }

  it('admit with t signatures of current members adds the member', () => {
    const chain = [...f.chain, amendment(f.chain, [admit], [a, b, c])]
    const { state } = verifyRosterChain(chain)
    expect(state.version).toBe(1)
    expect(state.members.get('ZA')?.name).toBe('South Africa')
    expect(state.memberByPeerId(candidate.peerId)?.country).toBe('ZA')
  })

  it('fewer than t signatures are refused, saying how many of how many', () => {
    const chain = [...f.chain, amendment(f.chain, [admit], [a, b])]
    expect(() => verifyRosterChain(chain)).toThrow(RosterThresholdError)
    expect(() => verifyRosterChain(chain)).toThrow(
      /roster version 1: 2 valid signature\(s\) of members of version 0, 3 required/,
    )
  })

  it('the admitted member cannot sign its own admission', () => {
    const chain = [...f.chain, amendment(f.chain, [admit], [a, b, c, candidate])]
    expect(() => verifyRosterChain(chain)).toThrow(RosterUnknownSignerError)
  })

  it('a revoked key can no longer sign, and is named as revoked', () => {
    const v1 = [...f.chain, amendment(f.chain, [{ op: 'revoke', country: f.countries[3]! }], [a, b, c])]
    expect(verifyRosterChain(v1).state.members.has(f.countries[3]!)).toBe(false)
    const v2 = [...v1, amendment(v1, [admit], [a, b, d])]
    expect(() => verifyRosterChain(v2)).toThrow(RosterRevokedSignerError)
    expect(() => verifyRosterChain(v2)).toThrow(
      new RegExp(`${f.countries[3]}'s key that was revoked at version 1`),
    )
  })

  it('a rotated-away key can no longer sign; the new key can', () => {
    const fresh = NodeIdentity.generate()
    const v1 = [
      ...f.chain,
      amendment(
        f.chain,
        [{ op: 'rotate', country: f.countries[0]!, publicKey: fresh.signingPublicKey }],
        [a, b, c],
      ),
    ]
    const { state } = verifyRosterChain(v1)
    expect(state.memberByPeerId(fresh.peerId)?.country).toBe(f.countries[0])
    expect(state.memberByPeerId(a.peerId)).toBeUndefined()
    expect(() => verifyRosterChain([...v1, amendment(v1, [admit], [a, b, c])])).toThrow(
      /rotated at version 1/,
    )
    expect(verifyRosterChain([...v1, amendment(v1, [admit], [fresh, b, c])]).state.members.has('ZA')).toBe(
      true,
    )
  })

  it('a retired key cannot be admitted again', () => {
    const v1 = [...f.chain, amendment(f.chain, [{ op: 'revoke', country: f.countries[4]! }], [a, b, c])]
    const readmit: RosterChange = {
      op: 'admit',
      member: { country: f.countries[4]!, name: 'again', publicKey: f.identities[4]!.signingPublicKey },
    }
    expect(() => verifyRosterChain([...v1, amendment(v1, [readmit], [a, b, c])])).toThrow(
      /the key was .*'s key, revoked at version 1/,
    )
  })

  it('threshold changes apply to the next version, and cannot exceed the member count', () => {
    const v1 = [...f.chain, amendment(f.chain, [{ op: 'threshold', threshold: 2 }], [a, b, c])]
    expect(verifyRosterChain(v1).state.threshold).toBe(2)
    expect(verifyRosterChain([...v1, amendment(v1, [admit], [a, b])]).state.version).toBe(2)
    expect(() =>
      verifyRosterChain([...f.chain, amendment(f.chain, [{ op: 'threshold', threshold: 6 }], [a, b, c])]),
    ).toThrow(/threshold 6 exceeds the 5 members/)
  })

  it('a wrong prev hash, version or network is a broken link', () => {
    const { state } = verifyRosterChain(f.chain)
    const wrongPrev = signedDocument(
      {
        kind: 'amendment',
        network: NETWORK,
        version: 1,
        prev: new Uint8Array(32),
        createdAt: 1,
        changes: [admit],
      },
      [a, b, c],
    )
    expect(() => verifyRosterChain([...f.chain, wrongPrev])).toThrow(RosterLinkError)
    const wrongVersion = signedDocument(
      { kind: 'amendment', network: NETWORK, version: 2, prev: state.hash, createdAt: 1, changes: [admit] },
      [a, b, c],
    )
    expect(() => verifyRosterChain([...f.chain, wrongVersion])).toThrow(/document claims version 2/)
    const wrongNetwork = signedDocument(
      { kind: 'amendment', network: 'other', version: 1, prev: state.hash, createdAt: 1, changes: [admit] },
      [a, b, c],
    )
    expect(() => verifyRosterChain([...f.chain, wrongNetwork])).toThrow(/network other is not/)
  })

  it('a signature that does not verify is named', () => {
    const doc = amendment(f.chain, [admit], [a, b, c])
    const body = encodeRosterBody({
      kind: 'amendment',
      network: NETWORK,
      version: 1,
      prev: verifyRosterChain(f.chain).state.hash,
      createdAt: 2,
      changes: [admit],
    })
    const forged = encodeRosterDocument(body, [
      signRosterBody(a, body),
      signRosterBody(b, body),
      { publicKey: c.signingPublicKey, signature: signRosterBody(c, new Uint8Array([1])).signature },
    ])
    expect(verifyRosterChain([...f.chain, doc]).state.version).toBe(1)
    expect(() => verifyRosterChain([...f.chain, forged])).toThrow(RosterSignatureError)
  })

  it('two different documents for one version in a chain are a fork, and both are refused', () => {
    const one = amendment(f.chain, [admit], [a, b, c], 1)
    const two = amendment(f.chain, [{ op: 'threshold', threshold: 4 }], [a, b, c], 2)
    expect(() => verifyRosterChain([...f.chain, one, two])).toThrow(RosterForkError)
    expect(() => verifyRosterChain([...f.chain, one, two])).toThrow(/roster fork at version 1/)
  })

  it('a chain survives its file/wire encoding', () => {
    const chain = [...f.chain, amendment(f.chain, [admit], [a, b, c])]
    expect(decodeRosterChain(encodeRosterChain(chain))).toEqual(chain)
    expect(() => decodeRosterChain(encode([1]))).toThrow(/chain\[0\]: must be a byte string/)
  })
})

describe('RosterKeeper', () => {
  const f = makeFounders(4, 3)
  const [a, b, c] = f.identities as [NodeIdentity, NodeIdentity, NodeIdentity]
  const admitX: RosterChange = {
    op: 'admit',
    member: { country: 'XA', name: 'X', publicKey: NodeIdentity.generate().signingPublicKey },
  }
  const admitY: RosterChange = {
    op: 'admit',
    member: { country: 'YA', name: 'Y', publicKey: NodeIdentity.generate().signingPublicKey },
  }

  it('adopts a longer valid chain once, tells its listeners, and ignores older ones', () => {
    const keeper = new RosterKeeper({ chain: f.chain })
    const heard: Array<[number, number, string]> = []
    keeper.onRosterAdopted((x) => heard.push([x.previousVersion, x.version, toHex(x.hash)]))
    const v1 = [...f.chain, amendment(f.chain, [admitX], [a, b, c])]
    expect(keeper.offer(v1)).toBe('adopted')
    expect(keeper.offer(v1)).toBe('current')
    expect(keeper.offer(f.chain)).toBe('older')
    expect(heard).toEqual([[0, 1, toHex(verifyRosterChain(v1).state.hash)]])
    expect(keeper.documents).toEqual(v1)
  })

  it('refuses an invalid chain without adopting it', () => {
    const keeper = new RosterKeeper({ chain: f.chain })
    expect(() => keeper.offer([...f.chain, amendment(f.chain, [admitX], [a, b])])).toThrow(
      RosterThresholdError,
    )
    expect(keeper.state.version).toBe(0)
    expect(keeper.fork).toBeUndefined()
  })

  it('on a fork, refuses the other branch and then every offer until an operator resolves it', () => {
    const keeper = new RosterKeeper({ chain: f.chain })
    const forks: number[] = []
    keeper.onRosterFork((e) => forks.push(e.version))
    const branchX = [...f.chain, amendment(f.chain, [admitX], [a, b, c])]
    const branchY = [...f.chain, amendment(f.chain, [admitY], [a, b, c])]
    expect(keeper.offer(branchX)).toBe('adopted')
    expect(() => keeper.offer(branchY)).toThrow(RosterForkError)
    expect(forks).toEqual([1])
    const longerX = [...branchX, amendment(branchX, [{ op: 'threshold', threshold: 2 }], [a, b, c])]
    expect(() => keeper.offer(longerX)).toThrow(/roster fork at version 1/)
    expect(keeper.state.version).toBe(1)
    keeper.resolveFork(branchY)
    expect(keeper.fork).toBeUndefined()
    expect(keeper.state.members.has('YA')).toBe(true)
  })
})

describe("members' ML-DSA-44 witness keys", () => {
  const pqKey = (fill: number) => new Uint8Array(1312).fill(fill)

  it('a genesis member may carry one, and it survives the encoding', () => {
    const f = makeFounders(2, 2)
    const members = [{ ...f.members[0]!, mlDsaWitnessKey: pqKey(1) }, f.members[1]!]
    const doc = signedDocument(
      { kind: 'genesis', network: NETWORK, version: 0, createdAt: 1, threshold: 2, members },
      f.identities,
    )
    const { state } = verifyRosterChain(decodeRosterChain(encodeRosterChain([doc])))
    expect(state.members.get(f.countries[0]!)?.mlDsaWitnessKey).toEqual(pqKey(1))
    expect(state.members.get(f.countries[1]!)?.mlDsaWitnessKey).toBeUndefined()
  })

  it('an amendment sets one (and admits a member with one); a rotation keeps it', () => {
    const f = makeFounders(3, 2)
    const newcomer = NodeIdentity.generate()
    const v1 = amendment(
      f.chain,
      [
        { op: 'witness-key', country: f.countries[0]!, mlDsaWitnessKey: pqKey(1) },
        {
          op: 'admit',
          member: {
            country: 'NL',
            name: 'NL',
            publicKey: newcomer.signingPublicKey,
            mlDsaWitnessKey: pqKey(2),
          },
        },
      ],
      f.identities.slice(0, 2),
    )
    const rotated = NodeIdentity.generate()
    const v2 = amendment(
      [...f.chain, v1],
      [{ op: 'rotate', country: f.countries[0]!, publicKey: rotated.signingPublicKey }],
      f.identities.slice(1, 3),
    )
    const { state } = verifyRosterChain([...f.chain, v1, v2])
    expect(state.members.get(f.countries[0]!)?.mlDsaWitnessKey).toEqual(pqKey(1))
    expect(state.members.get('NL')?.mlDsaWitnessKey).toEqual(pqKey(2))
  })

  it("refuses another member's key, a non-member, and a key of the wrong length, naming the rule", () => {
    const f = makeFounders(3, 2)
    const signers = f.identities.slice(0, 2)
    const v1 = amendment(
      f.chain,
      [{ op: 'witness-key', country: f.countries[0]!, mlDsaWitnessKey: pqKey(1) }],
      signers,
    )
    const taken = amendment(
      [...f.chain, v1],
      [{ op: 'witness-key', country: f.countries[1]!, mlDsaWitnessKey: pqKey(1) }],
      signers,
    )
    expect(() => verifyRosterChain([...f.chain, v1, taken])).toThrow(RosterChangeError)
    expect(() => verifyRosterChain([...f.chain, v1, taken])).toThrow(
      new RegExp(`witness-key ${f.countries[1]}: the key is ${f.countries[0]}'s`),
    )
    const stranger = amendment(
      f.chain,
      [{ op: 'witness-key', country: 'ZZ', mlDsaWitnessKey: pqKey(3) }],
      signers,
    )
    expect(() => verifyRosterChain([...f.chain, stranger])).toThrow(/witness-key ZZ: not a member/)
    expect(() =>
      encodeRosterBody({
        kind: 'amendment',
        network: NETWORK,
        version: 1,
        prev: new Uint8Array(32),
        createdAt: 1,
        changes: [{ op: 'witness-key', country: f.countries[0]!, mlDsaWitnessKey: new Uint8Array(1311) }],
      }),
    ).toThrow(/roster field body.changes\[0\].mldsa: must be 1312 bytes/)
  })
})
