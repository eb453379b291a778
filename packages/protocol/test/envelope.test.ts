import { randomBytes } from 'node:crypto'
import { bytesEqual, NodeIdentity, SignatureContext, sha256, toHex } from '@pocnet/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CborValue,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_ENVELOPE_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  EnvelopeTooLargeError,
  encode,
  MessageFieldError,
  type OpenOptions,
  type OpenResult,
  open,
  REJECT_REASONS,
  type SenderInfo,
  seal,
} from '../src/index.ts'

const NETWORK = 'pocnet-test'
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)

const alice = NodeIdentity.generate()
const bob = NodeIdentity.generate()
const carol = NodeIdentity.generate()
const mallory = NodeIdentity.generate() // a node that is not in the roster

const roster = new Map<string, SenderInfo>(
  [alice, bob, carol].map((n) => [
    n.peerId.toString(),
    { signingPublicKey: n.signingPublicKey, boxPublicKey: n.boxPublicKey },
  ]),
)

function keysOf(node: NodeIdentity) {
  return { signingPublicKey: node.signingPublicKey, boxPublicKey: node.boxPublicKey }
}

function openAs(
  node: NodeIdentity,
  bytes: Uint8Array,
  extra: Partial<OpenOptions> = {},
): Promise<OpenResult> {
  return open(bytes, {
    identity: node,
    networkId: NETWORK,
    resolveSender: (peerId) => roster.get(peerId.toString()),
    now: T0,
    ...extra,
  })
}

const payload = new Uint8Array(randomBytes(2048))

function sealFromAliceToBob(overrides: Partial<Parameters<typeof seal>[0]> = {}) {
  return seal({
    sender: alice,
    recipient: keysOf(bob),
    networkId: NETWORK,
    caseId: 'FR-2026-0042',
    kind: 'preservation-request',
    payload,
    createdAt: T0,
    ...overrides,
  })
}

function rejection(result: OpenResult) {
  if (result.ok) throw new Error('expected a rejection, the envelope was accepted')
  return result
}

/**
 * Builds an envelope step by step from docs/protocol.md §5, independently of `seal`,
 * with optional changes at each step, so each check of `open` can be hit by a validly signed
 * envelope that breaks exactly one rule.
 */
function craft(
  changes: {
    header?: Record<string, CborValue>
    inner?: Record<string, CborValue>
    innerSigner?: NodeIdentity
    innerContext?: string
    outerContext?: string
    boxTo?: Uint8Array
  } = {},
): Uint8Array {
  const id = new Uint8Array(randomBytes(16))
  const shared = { net: NETWORK, from: alice.signingPublicKey, to: bob.signingPublicKey, id, t: T0 }
  const inner = encode({
    v: 1,
    ...shared,
    case: 'FR-2026-0042',
    kind: 'preservation-request',
    body: payload,
    ...changes.inner,
  })
  const innerSigner = changes.innerSigner ?? alice
  const plaintext = encode([
    innerSigner.signingPublicKey,
    inner,
    innerSigner.signer.sign(changes.innerContext ?? SignatureContext.envelopeInner, inner),
  ])
  const { nonce, ciphertext } = alice.box.seal(plaintext, changes.boxTo ?? bob.boxPublicKey)
  const header = encode({ v: 1, ...shared, nonce, ct: ciphertext, ...changes.header })
  return encode([
    alice.signingPublicKey,
    header,
    alice.signer.sign(changes.outerContext ?? SignatureContext.envelopeOuter, header),
  ])
}

describe('seal and open', () => {
  it('round trip: sealed by A for B, opened by B with the same payload and A identified', async () => {
    const sealed = sealFromAliceToBob()
    const result = await openAs(bob, sealed.bytes)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.payload).toEqual(payload)
    expect(result.sender.equals(alice.peerId)).toBe(true)
    expect(result.senderPublicKey).toEqual(alice.signingPublicKey)
    expect(result.caseId).toBe('FR-2026-0042')
    expect(result.kind).toBe('preservation-request')
    expect(result.networkId).toBe(NETWORK)
    expect(result.createdAt).toBe(T0)
    expect(result.messageId).toEqual(sealed.messageId)
    expect(result.messageIdHex).toBe(toHex(sealed.messageId))
    expect(result.envelopeHash).toEqual(sha256(sealed.bytes))
    expect(sealed.envelopeHash).toEqual(sha256(sealed.bytes))
  })

  it('round trip with an empty payload and an empty case id', async () => {
    const sealed = sealFromAliceToBob({ payload: new Uint8Array(), caseId: '' })
    const result = await openAs(bob, sealed.bytes)
    expect(result.ok && result.payload.length === 0 && result.caseId === '').toBe(true)
  })

  it('an envelope built by hand from docs/protocol.md opens', async () => {
    const result = await openAs(bob, craft())
    expect(result.ok).toBe(true)
  })

  it('opened by C: typed "not-for-me" at the recipient check', async () => {
    const r = rejection(await openAs(carol, sealFromAliceToBob().bytes))
    expect(r.reason).toBe('not-for-me')
    expect(r.check).toBe('recipient')
    expect(r.messageId).toBeDefined()
  })

  it('another network: "not-for-me"', async () => {
    const r = rejection(await openAs(bob, sealFromAliceToBob({ networkId: 'other-net' }).bytes))
    expect([r.reason, r.check]).toEqual(['not-for-me', 'network'])
  })

  it('a sender outside the roster, or marked not a member, or with another key: "not-a-member"', async () => {
    const fromMallory = seal({
      sender: mallory,
      recipient: keysOf(bob),
      networkId: NETWORK,
      caseId: 'x',
      kind: 'ping',
      payload,
      createdAt: T0,
    })
    const unknown = rejection(await openAs(bob, fromMallory.bytes))
    expect([unknown.reason, unknown.check, unknown.messageId]).toEqual(['not-a-member', 'sender', undefined])

    const sealed = sealFromAliceToBob()
    const revoked = rejection(
      await openAs(bob, sealed.bytes, { resolveSender: () => ({ ...keysOf(alice), member: false }) }),
    )
    expect(revoked.reason).toBe('not-a-member')
    const rotated = rejection(
      await openAs(bob, sealed.bytes, {
        resolveSender: () => ({ ...keysOf(alice), signingPublicKey: carol.signingPublicKey }),
      }),
    )
    expect(rotated.reason).toBe('not-a-member')
  })

  it('the resolver is asked for the sender PeerId and may be async', async () => {
    const asked: string[] = []
    const result = await openAs(bob, sealFromAliceToBob().bytes, {
      resolveSender: async (peerId) => {
        asked.push(peerId.toString())
        return keysOf(alice)
      },
    })
    expect(result.ok).toBe(true)
    expect(asked).toEqual([alice.peerId.toString()])
  })

  it('size cap: "too-large" before anything else, and seal refuses to exceed it', async () => {
    const sealed = sealFromAliceToBob()
    const r = rejection(await openAs(bob, sealed.bytes, { maxBytes: sealed.bytes.length - 1 }))
    expect([r.reason, r.check]).toEqual(['too-large', 'size'])
    expect((await openAs(bob, sealed.bytes, { maxBytes: sealed.bytes.length })).ok).toBe(true)
    const garbage = new Uint8Array(DEFAULT_MAX_ENVELOPE_BYTES + 1).fill(0xff)
    expect(rejection(await openAs(bob, garbage)).reason).toBe('too-large')

    expect(() => sealFromAliceToBob({ maxBytes: 2048 })).toThrow(EnvelopeTooLargeError)
    expect(() => sealFromAliceToBob({ payload: new Uint8Array(DEFAULT_MAX_ENVELOPE_BYTES) })).toThrow(
      EnvelopeTooLargeError,
    )
  })

  it('seal names the field it refuses', () => {
    const cases: [Partial<Parameters<typeof seal>[0]>, string][] = [
      [{ networkId: '' }, 'seal.networkId'],
      // a network id is the roster's: ASCII a-z 0-9 . -, at most 63 (not any 64 bytes of UTF-8)
      [{ networkId: 'Test-Net' }, 'seal.networkId'],
      [{ networkId: 'réseau' }, 'seal.networkId'],
      [{ networkId: 'n'.repeat(64) }, 'seal.networkId'],
      [{ kind: 'Preservation Request' }, 'seal.kind'],
      [{ kind: 'k'.repeat(65) }, 'seal.kind'],
      [{ caseId: 'c'.repeat(129) }, 'seal.caseId'],
      [{ caseId: 'IT-1\r\nforged' }, 'seal.caseId'],
      [{ caseId: 'IT-\u0085' }, 'seal.caseId'],
      [{ createdAt: -1 }, 'seal.createdAt'],
      [{ createdAt: 1.5 }, 'seal.createdAt'],
      [
        { recipient: { signingPublicKey: new Uint8Array(31), boxPublicKey: bob.boxPublicKey } },
        'seal.recipient.signingPublicKey',
      ],
      [
        { recipient: { signingPublicKey: bob.signingPublicKey, boxPublicKey: new Uint8Array(33) } },
        'seal.recipient.boxPublicKey',
      ],
    ]
    for (const [overrides, field] of cases) {
      let error: unknown
      try {
        sealFromAliceToBob(overrides)
      } catch (err) {
        error = err
      }
      expect(error, field).toBeInstanceOf(MessageFieldError)
      expect((error as MessageFieldError).field).toBe(field)
    }
    expect(() => sealFromAliceToBob({ caseId: 'IT-1\tx' })).toThrow(/must have no control characters/)
    expect(() => sealFromAliceToBob({ networkId: 'g8 24' })).toThrow(/must be 1-63 characters of a-z, 0-9/)
    // anything else printable in any script is a case id
    expect(() => sealFromAliceToBob({ caseId: 'DE-Ärzte 2026/ü—№ 7' })).not.toThrow()
  })
})

describe('time window', () => {
  it('accepts exactly at the edges of the default window and rejects one millisecond beyond', async () => {
    const { bytes } = sealFromAliceToBob()
    expect((await openAs(bob, bytes, { now: T0 + DEFAULT_MAX_AGE_MS })).ok).toBe(true)
    const old = rejection(await openAs(bob, bytes, { now: T0 + DEFAULT_MAX_AGE_MS + 1 }))
    expect([old.reason, old.check]).toEqual(['too-old', 'time'])
    expect(old.messageId).toBeDefined()
    expect((await openAs(bob, bytes, { now: T0 - DEFAULT_MAX_FUTURE_SKEW_MS })).ok).toBe(true)
    const early = rejection(await openAs(bob, bytes, { now: T0 - DEFAULT_MAX_FUTURE_SKEW_MS - 1 }))
    expect([early.reason, early.check]).toEqual(['too-new', 'time'])
  })

  it('uses a configured window', async () => {
    const { bytes } = sealFromAliceToBob()
    const skew = { maxAgeMs: 1000, maxFutureMs: 10 }
    expect((await openAs(bob, bytes, { now: T0 + 1000, skew })).ok).toBe(true)
    expect(rejection(await openAs(bob, bytes, { now: T0 + 1001, skew })).reason).toBe('too-old')
    expect((await openAs(bob, bytes, { now: T0 - 10, skew })).ok).toBe(true)
    expect(rejection(await openAs(bob, bytes, { now: T0 - 11, skew })).reason).toBe('too-new')
  })

  it('defaults to the real clock', async () => {
    const { bytes } = sealFromAliceToBob({ createdAt: undefined })
    const result = await open(bytes, {
      identity: bob,
      networkId: NETWORK,
      resolveSender: (p) => roster.get(p.toString()),
    })
    expect(result.ok).toBe(true)
  })
})

describe('replay detection support', () => {
  it('exposes the same message id every time the same envelope is opened, and fresh ids per seal', async () => {
    const sealed = sealFromAliceToBob()
    const first = await openAs(bob, sealed.bytes)
    const second = await openAs(bob, sealed.bytes)
    expect(first.ok && second.ok).toBe(true)
    if (!first.ok || !second.ok) return
    expect(first.messageId).toEqual(second.messageId)
    expect(first.envelopeHash).toEqual(second.envelopeHash)
    const other = sealFromAliceToBob()
    expect(bytesEqual(other.messageId, sealed.messageId)).toBe(false)
    expect(other.messageId.length).toBe(16)
  })
})

describe('each check, hit by an envelope that breaks exactly one rule', () => {
  const cases: [string, () => Uint8Array, string, string][] = [
    [
      'outer signature under the inner context',
      () => craft({ outerContext: SignatureContext.envelopeInner }),
      'bad-signature',
      'outer-signature',
    ],
    ['header with an unknown version', () => craft({ header: { v: 2 } }), 'malformed', 'header'],
    ['header with an unknown field', () => craft({ header: { x: 1 } }), 'malformed', 'header'],
    [
      'header "from" is not the signer',
      () => craft({ header: { from: carol.signingPublicKey } }),
      'malformed',
      'header',
    ],
    ['header id of 15 bytes', () => craft({ header: { id: new Uint8Array(15) } }), 'malformed', 'header'],
    ['header time negative', () => craft({ header: { t: -5 } }), 'malformed', 'header'],
    [
      'header nonce of 23 bytes',
      () => craft({ header: { nonce: new Uint8Array(23) } }),
      'malformed',
      'header',
    ],
    ['encrypted to C’s box key', () => craft({ boxTo: carol.boxPublicKey }), 'not-for-me', 'decrypt'],
    ['inner frame signed by C', () => craft({ innerSigner: carol }), 'malformed', 'inner-frame'],
    [
      'inner signature under the outer context',
      () => craft({ innerContext: SignatureContext.envelopeOuter }),
      'bad-signature',
      'inner-signature',
    ],
    ['inner payload with an unknown version', () => craft({ inner: { v: 2 } }), 'malformed', 'inner-payload'],
    [
      'inner payload with an unknown field',
      () => craft({ inner: { extra: true } }),
      'malformed',
      'inner-payload',
    ],
    [
      'inner kind breaking the kind rule',
      () => craft({ inner: { kind: 'UPPER' } }),
      'malformed',
      'inner-payload',
    ],
    [
      'inner recipient differs from the header',
      () => craft({ inner: { to: carol.signingPublicKey } }),
      'malformed',
      'inner-fields',
    ],
    [
      'inner sender differs from the header',
      () => craft({ inner: { from: carol.signingPublicKey } }),
      'malformed',
      'inner-fields',
    ],
    [
      'inner message id differs',
      () => craft({ inner: { id: new Uint8Array(16) } }),
      'malformed',
      'inner-fields',
    ],
    ['inner time differs', () => craft({ inner: { t: T0 + 1 } }), 'malformed', 'inner-fields'],
    ['inner network differs', () => craft({ inner: { net: 'other' } }), 'malformed', 'inner-fields'],
  ]
  for (const [name, build, reason, check] of cases) {
    it(`${name}: ${reason} at ${check}`, async () => {
      const r = rejection(await openAs(bob, build()))
      expect([r.reason, r.check]).toEqual([reason, check])
    })
  }

  it('checks run in the stated order', async () => {
    // too large and malformed: size first
    expect(rejection(await openAs(bob, craft(), { maxBytes: 100 })).check).toBe('size')
    // not a member and not for me: membership (needed for the signature) first
    const toCarol = craft()
    expect(rejection(await openAs(carol, toCarol, { resolveSender: () => undefined })).check).toBe('sender')
    // bad outer signature and not for me: signature first
    expect(rejection(await openAs(carol, craft({ outerContext: 'other' }))).check).toBe('outer-signature')
    // not for me and too old: recipient first
    expect(rejection(await openAs(carol, toCarol, { now: T0 + DEFAULT_MAX_AGE_MS + 1 })).check).toBe(
      'recipient',
    )
    // inner fields differ and too old: fields first
    const mismatched = craft({ inner: { t: T0 + 1 } })
    expect(rejection(await openAs(bob, mismatched, { now: T0 + DEFAULT_MAX_AGE_MS + 1 })).check).toBe(
      'inner-fields',
    )
  })
})

const envelopeReasons: readonly string[] = REJECT_REASONS.filter(
  (r) => r !== 'rate-limited' && r !== 'replay' && r !== 'try-later',
)

async function expectTypedRejection(bytes: Uint8Array): Promise<void> {
  const result = await openAs(bob, bytes)
  expect(result.ok).toBe(false)
  if (!result.ok) expect(envelopeReasons).toContain(result.reason)
}

describe('hostile input (property tests)', () => {
  const sealed = sealFromAliceToBob()

  it('any single-bit flip anywhere in the sealed bytes is a typed rejection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: sealed.bytes.length * 8 - 1 }), async (bit) => {
        const flipped = sealed.bytes.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        await expectTypedRejection(flipped)
      }),
      { numRuns: 3000 },
    )
  })

  it('every bit of the frame head and signature, flipped one at a time, is a typed rejection', async () => {
    const n = sealed.bytes.length
    const positions = [...Array(48).keys(), ...Array.from({ length: 64 }, (_, i) => n - 64 + i)]
    for (const byte of positions) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = sealed.bytes.slice()
        flipped[byte]! ^= 1 << bit
        await expectTypedRejection(flipped)
      }
    }
  })

  it('a member flipping any bit of the inner plaintext, then encrypting and signing validly, is rejected', async () => {
    const id = new Uint8Array(16)
    const shared = { net: NETWORK, from: alice.signingPublicKey, to: bob.signingPublicKey, id, t: T0 }
    const inner = encode({ v: 1, ...shared, case: 'c', kind: 'k', body: payload.subarray(0, 64) })
    const plaintext = encode([
      alice.signingPublicKey,
      inner,
      alice.signer.sign(SignatureContext.envelopeInner, inner),
    ])
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: plaintext.length * 8 - 1 }), async (bit) => {
        const flipped = plaintext.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        const { nonce, ciphertext } = alice.box.seal(flipped, bob.boxPublicKey)
        const header = encode({ v: 1, ...shared, nonce, ct: ciphertext })
        const bytes = encode([
          alice.signingPublicKey,
          header,
          alice.signer.sign(SignatureContext.envelopeOuter, header),
        ])
        await expectTypedRejection(bytes)
      }),
      { numRuns: 2000 },
    )
  })

  it('fuzz: random bytes are a typed rejection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        await expectTypedRejection(bytes)
      }),
      { numRuns: 2000 },
    )
  })

  it('fuzz: random well-formed frames are a typed rejection', async () => {
    const frame = fc.tuple(
      fc.oneof(fc.constant(alice.signingPublicKey), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      fc.oneof(
        fc.uint8Array({ maxLength: 256 }),
        fc
          .dictionary(
            fc.constantFrom(...'v net from to id t nonce ct x'.split(' ')),
            fc.oneof(fc.nat(), fc.string(), fc.uint8Array({ maxLength: 40 })),
          )
          .map((m) => encode(m)),
      ),
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
    )
    await fc.assert(
      fc.asyncProperty(frame, async ([signer, signed, signature]) => {
        await expectTypedRejection(encode([signer, signed, signature]))
      }),
      { numRuns: 2000 },
    )
  })

  it('fuzz: mutated envelopes (byte edits, insertions, deletions, truncations) are a typed rejection', async () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete', 'truncate'),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        let bytes = [...sealed.bytes]
        for (const [at, value, kind] of edits) {
          const i = at % bytes.length
          if (kind === 'set') bytes[i] = bytes[i] === value ? value ^ 1 : value
          else if (kind === 'insert') bytes.splice(i, 0, value)
          else if (kind === 'delete') bytes.splice(i, 1)
          else bytes = bytes.slice(0, i)
        }
        const mutated = Uint8Array.from(bytes)
        fc.pre(!bytesEqual(mutated, sealed.bytes)) // an insertion and a deletion can cancel out
        await expectTypedRejection(mutated)
      }),
      { numRuns: 2000 },
    )
  })
})
