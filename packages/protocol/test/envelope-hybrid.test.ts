import { randomBytes } from 'node:crypto'
import { NodeIdentity, SignatureContext, XWING_CIPHERTEXT_LENGTH } from '@pocnet/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CborValue,
  decode,
  ENVELOPE_VERSION,
  encode,
  HYBRID_ENVELOPE_VERSION,
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
// a node whose key predates hybrid sealing: no X-Wing key at all
const { kemSeed: _, ...classicalSecrets } = NodeIdentity.generate().secrets
const oldNode = new NodeIdentity(classicalSecrets)

/** The sender as the receiver's directory shows it: advertising its X-Wing key, or not. */
function senderInfo(node: NodeIdentity, advertisesKem: boolean): SenderInfo {
  return {
    signingPublicKey: node.signingPublicKey,
    boxPublicKey: node.boxPublicKey,
    ...(advertisesKem && node.kemPublicKey !== undefined ? { kemPublicKey: node.kemPublicKey } : {}),
  }
}

function openAs(
  node: NodeIdentity,
  bytes: Uint8Array,
  sender: SenderInfo,
  extra: Partial<OpenOptions> = {},
): Promise<OpenResult> {
  return open(bytes, { identity: node, networkId: NETWORK, resolveSender: () => sender, now: T0, ...extra })
}

const payload = new Uint8Array(randomBytes(2048))

function sealTo(recipient: NodeIdentity, hybrid: boolean, from = alice) {
  return seal({
    sender: from,
    recipient: {
      signingPublicKey: recipient.signingPublicKey,
      boxPublicKey: recipient.boxPublicKey,
      ...(hybrid && recipient.kemPublicKey !== undefined ? { kemPublicKey: recipient.kemPublicKey } : {}),
    },
    networkId: NETWORK,
    caseId: 'FR-2026-0042',
    kind: 'preservation-request',
    payload,
    createdAt: T0,
  })
}

function headerOf(bytes: Uint8Array): Record<string, CborValue> {
  const [, header] = decode(bytes) as [Uint8Array, Uint8Array, Uint8Array]
  return decode(header) as Record<string, CborValue>
}

/** The envelope with its header changed by `change` and signed again by Alice, as a member could. */
function resigned(bytes: Uint8Array, change: (header: Record<string, CborValue>) => void): Uint8Array {
  const header = headerOf(bytes)
  change(header)
  const encoded = encode(header)
  return encode([alice.signingPublicKey, encoded, alice.signer.sign(SignatureContext.envelopeOuter, encoded)])
}

function rejection(result: OpenResult) {
  if (result.ok) throw new Error('expected a rejection, the envelope was accepted')
  return result
}

describe('hybrid envelopes', () => {
  it('round trip: sealed to an advertised X-Wing key, opened with the same payload, marked hybrid', async () => {
    const sealed = sealTo(bob, true)
    const header = headerOf(sealed.bytes)
    expect(header.v).toBe(HYBRID_ENVELOPE_VERSION)
    expect((header.kem as Uint8Array).length).toBe(XWING_CIPHERTEXT_LENGTH)
    const opened = await openAs(bob, sealed.bytes, senderInfo(alice, true))
    expect(opened).toMatchObject({ ok: true, sealing: 'hybrid', caseId: 'FR-2026-0042' })
    expect(opened.ok && opened.payload).toEqual(payload)
  })

  it('seal names the X-Wing key it cannot use', () => {
    for (const kemPublicKey of [new Uint8Array(1215), new Uint8Array(1216).fill(0xff)]) {
      const err = (() => {
        try {
          seal({
            sender: alice,
            recipient: {
              signingPublicKey: bob.signingPublicKey,
              boxPublicKey: bob.boxPublicKey,
              kemPublicKey,
            },
            networkId: NETWORK,
            caseId: '',
            kind: 'case.ack',
            payload,
          })
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(MessageFieldError)
      expect((err as MessageFieldError).field).toBe('seal.recipient.kemPublicKey')
    }
  })

  it('adds the X-Wing ciphertext and little else to the envelope', () => {
    const overhead = sealTo(bob, true).bytes.length - sealTo(bob, false).bytes.length
    expect(overhead).toBeGreaterThanOrEqual(XWING_CIPHERTEXT_LENGTH)
    expect(overhead).toBeLessThan(XWING_CIPHERTEXT_LENGTH + 16)
  })

  it('a classical envelope still opens, marked classical, from a sender that does not advertise hybrid', async () => {
    const sealed = sealTo(bob, false, oldNode)
    expect(headerOf(sealed.bytes).v).toBe(ENVELOPE_VERSION)
    const opened = await openAs(bob, sealed.bytes, senderInfo(oldNode, false))
    expect(opened).toMatchObject({ ok: true, sealing: 'classical' })
  })

  it('downgrade: a classical envelope from a sender advertising hybrid is refused, before decryption', async () => {
    const sealed = sealTo(bob, false)
    const r = rejection(await openAs(bob, sealed.bytes, senderInfo(alice, true)))
    expect([r.reason, r.check]).toEqual(['downgrade', 'downgrade'])
    expect(r.messageId).toEqual(sealed.messageId)
  })

  it('no downgrade where the receiver does not advertise its own X-Wing key, or did not when it was sealed', async () => {
    const sealed = sealTo(bob, false)
    expect(
      (await openAs(bob, sealed.bytes, senderInfo(alice, true), { downgradeRefusedFrom: null })).ok,
    ).toBe(true)
    expect(
      (await openAs(bob, sealed.bytes, senderInfo(alice, true), { downgradeRefusedFrom: T0 + 1 })).ok,
    ).toBe(true)
    const atTheEdge = await openAs(bob, sealed.bytes, senderInfo(alice, true), { downgradeRefusedFrom: T0 })
    expect(rejection(atTheEdge).reason).toBe('downgrade')
    expect((await openAs(oldNode, sealTo(oldNode, false).bytes, senderInfo(alice, true))).ok).toBe(true)
  })

  it('a receiver without an X-Wing key cannot open a hybrid envelope: "not-for-me" at decrypt', async () => {
    const forged = resigned(sealTo(bob, true).bytes, (h) => {
      h.to = oldNode.signingPublicKey
    })
    const r = rejection(await openAs(oldNode, forged, senderInfo(alice, true)))
    expect([r.reason, r.check]).toEqual(['not-for-me', 'decrypt'])
  })

  it('mismatched keys: sealed to another node’s X-Wing key, or from another sender box key, does not open', async () => {
    const toCarolsKem = seal({
      sender: alice,
      recipient: {
        signingPublicKey: bob.signingPublicKey,
        boxPublicKey: bob.boxPublicKey,
        kemPublicKey: carol.kemPublicKey!,
      },
      networkId: NETWORK,
      caseId: '',
      kind: 'case.ack',
      payload,
      createdAt: T0,
    })
    const r = rejection(await openAs(bob, toCarolsKem.bytes, senderInfo(alice, true)))
    expect([r.reason, r.check]).toEqual(['not-for-me', 'decrypt'])
    const wrongSenderBox = { ...senderInfo(alice, true), boxPublicKey: carol.boxPublicKey }
    const r2 = rejection(await openAs(bob, sealTo(bob, true).bytes, wrongSenderBox))
    expect([r2.reason, r2.check]).toEqual(['not-for-me', 'decrypt'])
  })

  it('truncated X-Wing ciphertext is malformed; truncated or swapped content does not open', async () => {
    const sealed = sealTo(bob, true)
    const shortKem = resigned(sealed.bytes, (h) => {
      h.kem = (h.kem as Uint8Array).subarray(0, XWING_CIPHERTEXT_LENGTH - 1)
    })
    const r = rejection(await openAs(bob, shortKem, senderInfo(alice, true)))
    expect([r.reason, r.check, r.message]).toEqual([
      'malformed',
      'header',
      `envelope.header.kem must be ${XWING_CIPHERTEXT_LENGTH} bytes, not ${XWING_CIPHERTEXT_LENGTH - 1}`,
    ])
    const shortCt = resigned(sealed.bytes, (h) => {
      h.ct = (h.ct as Uint8Array).subarray(0, (h.ct as Uint8Array).length - 1)
    })
    expect(rejection(await openAs(bob, shortCt, senderInfo(alice, true))).check).toBe('decrypt')
    const otherKem = headerOf(sealTo(bob, true).bytes).kem
    const swapped = resigned(sealed.bytes, (h) => {
      h.kem = otherKem!
    })
    expect(rejection(await openAs(bob, swapped, senderInfo(alice, true))).check).toBe('decrypt')
  })

  it('the header binds the key: a hybrid envelope relabelled classical, or the reverse, is refused', async () => {
    const asClassical = resigned(sealTo(bob, true).bytes, (h) => {
      h.v = ENVELOPE_VERSION
    })
    expect(rejection(await openAs(bob, asClassical, senderInfo(alice, false))).reason).toBe('malformed')
    const asHybrid = resigned(sealTo(bob, false).bytes, (h) => {
      h.v = HYBRID_ENVELOPE_VERSION
      h.kem = new Uint8Array(XWING_CIPHERTEXT_LENGTH)
    })
    expect(rejection(await openAs(bob, asHybrid, senderInfo(alice, true))).check).toBe('decrypt')
    const retimed = resigned(sealTo(bob, true).bytes, (h) => {
      h.t = T0 + 1
    })
    expect(rejection(await openAs(bob, retimed, senderInfo(alice, true))).check).toBe('decrypt')
  })

  it('any single-bit flip of a hybrid envelope is a typed rejection', async () => {
    const sealed = sealTo(bob, true)
    const envelopeReasons: readonly string[] = REJECT_REASONS
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: sealed.bytes.length * 8 - 1 }), async (bit) => {
        const flipped = sealed.bytes.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        const result = await openAs(bob, flipped, senderInfo(alice, true))
        expect(result.ok).toBe(false)
        if (!result.ok) expect(envelopeReasons).toContain(result.reason)
      }),
      { numRuns: 300 },
    )
  })
})
