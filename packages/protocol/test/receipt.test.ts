import { fromHex, NodeIdentity, SignatureContext, sha256, toHex } from '@pocnet/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CborValue,
  createReceipt,
  encode,
  isRejectReason,
  MAX_RECEIPT_BYTES,
  MessageFieldError,
  REJECT_REASONS,
  type ReceiptResult,
  type RejectReason,
  verifyReceipt,
} from '../src/index.ts'

const NETWORK = 'pocnet-test'
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)
const bob = NodeIdentity.generate()
const carol = NodeIdentity.generate()
const envelopeHash = sha256(new TextEncoder().encode('an envelope'))

function verifyFromBob(bytes: Uint8Array, hash: Uint8Array | undefined = envelopeHash): ReceiptResult {
  return verifyReceipt(bytes, {
    receiverPublicKey: bob.signingPublicKey,
    networkId: NETWORK,
    envelopeHash: hash,
  })
}

function failure(result: ReceiptResult) {
  if (result.ok) throw new Error('expected the receipt to be refused')
  return result
}

/** A receipt built by hand from docs/protocol.md §6, with optional field changes. */
function craft(fields: Record<string, CborValue | undefined> = {}, signer = bob): Uint8Array {
  const map: Record<string, CborValue> = {}
  const all = {
    v: 1,
    net: NETWORK,
    by: bob.signingPublicKey,
    env: envelopeHash,
    t: T0,
    status: 'accepted',
    ...fields,
  }
  for (const [k, v] of Object.entries(all)) if (v !== undefined) map[k] = v
  const signed = encode(map)
  return encode([signer.signingPublicKey, signed, signer.signer.sign(SignatureContext.receipt, signed)])
}

describe('receipts', () => {
  it('accepted: round trip', () => {
    const bytes = createReceipt({
      receiver: bob,
      networkId: NETWORK,
      envelopeHash,
      receivedAt: T0,
      status: 'accepted',
    })
    expect(verifyFromBob(bytes)).toEqual({
      ok: true,
      receipt: {
        networkId: NETWORK,
        receiverPublicKey: bob.signingPublicKey,
        envelopeHash,
        receivedAt: T0,
        status: 'accepted',
      },
    })
    expect(verifyFromBob(bytes, undefined).ok).toBe(true)
  })

  it('rejected: round trip for every reason code', () => {
    for (const reason of REJECT_REASONS) {
      const bytes = createReceipt({
        receiver: bob,
        networkId: NETWORK,
        envelopeHash,
        receivedAt: T0,
        status: 'rejected',
        reason,
      })
      const result = verifyFromBob(bytes)
      expect(result.ok && result.receipt.status === 'rejected' && result.receipt.reason).toBe(reason)
    }
  })

  it('a receipt built by hand from docs/protocol.md verifies', () => {
    expect(verifyFromBob(craft()).ok).toBe(true)
    expect(verifyFromBob(craft({ status: 'rejected', reason: 'replay' })).ok).toBe(true)
  })

  it('refuses a receipt signed by another node, for another envelope or network, or too large', () => {
    const byCarol = createReceipt({
      receiver: carol,
      networkId: NETWORK,
      envelopeHash,
      receivedAt: T0,
      status: 'accepted',
    })
    expect(failure(verifyFromBob(byCarol))).toMatchObject({ reason: 'bad-signature', check: 'signer' })
    expect(failure(verifyFromBob(craft({}, carol)))).toMatchObject({
      reason: 'bad-signature',
      check: 'signer',
    })
    expect(failure(verifyFromBob(craft(), sha256(envelopeHash)))).toMatchObject({
      reason: 'not-for-me',
      check: 'envelope',
    })
    expect(failure(verifyFromBob(craft({ net: 'other-net' })))).toMatchObject({
      reason: 'not-for-me',
      check: 'network',
    })
    expect(failure(verifyFromBob(new Uint8Array(MAX_RECEIPT_BYTES + 1)))).toMatchObject({
      reason: 'too-large',
    })
  })

  const malformed: [string, Record<string, CborValue | undefined>][] = [
    ['unknown version', { v: 2 }],
    ['unknown field', { extra: 1 }],
    ['missing time', { t: undefined }],
    ['negative time', { t: -1 }],
    ['"by" is not the signer', { by: carol.signingPublicKey }],
    ['hash of 31 bytes', { env: new Uint8Array(31) }],
    ['unknown status', { status: 'maybe' }],
    ['rejected without a reason', { status: 'rejected' }],
    ['rejected with an unknown reason', { status: 'rejected', reason: 'bored' }],
    ['accepted with a reason', { reason: 'replay' }],
    ['empty network id', { net: '' }],
  ]
  for (const [name, fields] of malformed) {
    it(`refuses a validly signed receipt with ${name} as malformed`, () => {
      expect(failure(verifyFromBob(craft(fields)))).toMatchObject({ reason: 'malformed', check: 'fields' })
    })
  }

  it('refuses a signature under another context', () => {
    const signed = encode({
      v: 1,
      net: NETWORK,
      by: bob.signingPublicKey,
      env: envelopeHash,
      t: T0,
      status: 'accepted',
    })
    const bytes = encode([
      bob.signingPublicKey,
      signed,
      bob.signer.sign(SignatureContext.envelopeOuter, signed),
    ])
    expect(failure(verifyFromBob(bytes))).toMatchObject({ reason: 'bad-signature', check: 'signature' })
  })

  it('createReceipt names the field it refuses', () => {
    const base = { receiver: bob, networkId: NETWORK, envelopeHash, receivedAt: T0 }
    const bad: [Parameters<typeof createReceipt>[0], string][] = [
      [{ ...base, status: 'accepted', envelopeHash: new Uint8Array(16) }, 'receipt.envelopeHash'],
      [{ ...base, status: 'accepted', receivedAt: -1 }, 'receipt.receivedAt'],
      [{ ...base, status: 'accepted', networkId: '' }, 'receipt.networkId'],
      [{ ...base, status: 'rejected', reason: 'bored' as RejectReason }, 'receipt.reason'],
    ]
    for (const [input, field] of bad) {
      expect(() => createReceipt(input)).toThrow(MessageFieldError)
      try {
        createReceipt(input)
      } catch (err) {
        expect((err as MessageFieldError).field).toBe(field)
      }
    }
  })

  it('isRejectReason knows exactly the listed codes', () => {
    for (const reason of REJECT_REASONS) expect(isRejectReason(reason)).toBe(true)
    for (const other of ['', 'accepted', 'Replay', 1, null]) expect(isRejectReason(other)).toBe(false)
  })
})

describe('hostile receipts (property tests)', () => {
  const bytes = createReceipt({
    receiver: bob,
    networkId: NETWORK,
    envelopeHash,
    receivedAt: T0,
    status: 'rejected',
    reason: 'too-old',
  })

  it('any single-bit flip is refused', () => {
    fc.assert(
      fc.property(fc.nat({ max: bytes.length * 8 - 1 }), (bit) => {
        const flipped = bytes.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        expect(verifyFromBob(flipped).ok).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })

  it('fuzz: random and mutated inputs give a result, never an exception', () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete'),
    )
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
        const out = [...bytes]
        for (const [at, value, kind] of edits) {
          const i = at % out.length
          if (kind === 'set') out[i] = value
          else if (kind === 'insert') out.splice(i, 0, value)
          else out.splice(i, 1)
        }
        return Uint8Array.from(out)
      }),
    )
    fc.assert(
      fc.property(input, (candidate) => {
        const result = verifyFromBob(candidate)
        if (result.ok) expect(candidate).toEqual(bytes)
        else expect(REJECT_REASONS).toContain(result.reason)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('the example receipt in docs/protocol.md', () => {
  // Ed25519 signatures are deterministic, so a fixed seed gives fixed bytes.
  const receiver = new NodeIdentity({
    signingSeed: new Uint8Array(32).fill(1),
    boxSecretKey: new Uint8Array(32).fill(2),
  })
  const exampleHash = sha256(new TextEncoder().encode('envelope'))
  const signedHex =
    'a761741b0000019aca559e0061760162627958208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c' +
    '63656e7658204c503ca67761e5c4aaecfe996244c25d8c0b40902d1085c85b4468bd567548c6636e65746b6578616d706c652d6e6574' +
    '66726561736f6e67746f6f2d6f6c64667374617475736872656a6563746564'
  const signatureHex =
    '747a25a25eabf55c60be7aaa6f478956d5ef76f7ce5b1701ed78c9a782ed73f9d8add9a6e8e87b923654087ba4da33f1420341d01b6e741b1ad89714b9c3b101'
  const frameHex = `835820${toHex(receiver.signingPublicKey)}5889${signedHex}5840${signatureHex}`

  it('is what createReceipt produces, byte for byte', () => {
    expect(toHex(receiver.signingPublicKey)).toBe(
      '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c',
    )
    expect(toHex(exampleHash)).toBe('4c503ca67761e5c4aaecfe996244c25d8c0b40902d1085c85b4468bd567548c6')
    const bytes = createReceipt({
      receiver,
      networkId: 'example-net',
      envelopeHash: exampleHash,
      receivedAt: 1764331200000,
      status: 'rejected',
      reason: 'too-old',
    })
    expect(toHex(bytes)).toBe(frameHex)
  })

  it('verifies', () => {
    const result = verifyReceipt(fromHex(frameHex), {
      receiverPublicKey: receiver.signingPublicKey,
      networkId: 'example-net',
      envelopeHash: exampleHash,
    })
    expect(result.ok && result.receipt.status === 'rejected' && result.receipt.reason).toBe('too-old')
  })
})
