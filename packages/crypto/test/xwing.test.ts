import { createHash, createPrivateKey, decapsulate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import {
  fromHex,
  InvalidKeyError,
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  XWingKeyPair,
  XWingPublicKey,
} from '../src/index.ts'

interface Vector {
  seed: string
  sk: string
  pk: string
  eseed: string
  ct: string
  ss: string
}

// draft-connolly-cfrg-xwing-kem Appendix C (fixtures/xwing-test-vectors.README.md)
const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/xwing-test-vectors.json', import.meta.url), 'utf8'),
) as Vector[]

/*
 * A second X-Wing decapsulation written here from the draft's text, sharing nothing with
 * src/xwing.ts: ML-KEM-768 through a hand-built PKCS#8 seed-form key, X25519 through tweetnacl.
 */
const MLKEM768_PKCS8_SEED_PREFIX = fromHex('3054020100300b060960864801650304040204428040')
function independentDecapsulate(seed: Uint8Array, ct: Uint8Array): Uint8Array {
  const expanded = createHash('shake256', { outputLength: 96 }).update(seed).digest()
  const der = Buffer.concat([MLKEM768_PKCS8_SEED_PREFIX, expanded.subarray(0, 64)])
  const mlkem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  const skX = new Uint8Array(expanded.subarray(64, 96))
  const pkX = nacl.scalarMult.base(skX)
  const ctX = ct.subarray(1088)
  const ssM = decapsulate(mlkem, ct.subarray(0, 1088))
  const ssX = nacl.scalarMult(skX, ctX)
  const label = Buffer.from('\\./' + '/^\\', 'latin1')
  return new Uint8Array(
    createHash('sha3-256').update(ssM).update(ssX).update(ctX).update(pkX).update(label).digest(),
  )
}

describe('X-Wing', () => {
  it('has the published test vectors to check against', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(3)
  })

  it('derives the published public key from each seed', () => {
    for (const v of vectors) {
      expect(v.sk).toBe(v.seed) // X-Wing's private key is its seed
      expect(new XWingKeyPair(fromHex(v.seed)).publicKey).toEqual(fromHex(v.pk))
    }
  })

  it('decapsulates each published ciphertext to the published shared secret', () => {
    for (const v of vectors) {
      expect(new XWingKeyPair(fromHex(v.seed)).decapsulate(fromHex(v.ct))).toEqual(fromHex(v.ss))
    }
  })

  it('the independent decapsulation in this test agrees with the vectors too', () => {
    for (const v of vectors) {
      expect(independentDecapsulate(fromHex(v.seed), fromHex(v.ct))).toEqual(fromHex(v.ss))
      // the X25519 half of each vector's ciphertext is the eseed's second half times the base point
      expect(nacl.scalarMult.base(fromHex(v.eseed).subarray(32))).toEqual(fromHex(v.ct).subarray(1088))
    }
  })

  it('round trip: a fresh encapsulation decapsulates to the same secret, here and independently', () => {
    const seed = fromHex(vectors[0]!.seed)
    const pair = new XWingKeyPair(seed)
    const { sharedSecret, ciphertext } = new XWingPublicKey(pair.publicKey).encapsulate()
    expect(ciphertext.length).toBe(XWING_CIPHERTEXT_LENGTH)
    expect(pair.decapsulate(ciphertext)).toEqual(sharedSecret)
    expect(independentDecapsulate(seed, ciphertext)).toEqual(sharedSecret)
    const again = new XWingPublicKey(pair.publicKey).encapsulate()
    expect(again.sharedSecret).not.toEqual(sharedSecret)
  })

  it('another key pair gets an unrelated secret from the same ciphertext (implicit rejection)', () => {
    const pair = new XWingKeyPair(fromHex(vectors[0]!.seed))
    const other = new XWingKeyPair(fromHex(vectors[1]!.seed))
    const { sharedSecret, ciphertext } = new XWingPublicKey(pair.publicKey).encapsulate()
    const wrong = other.decapsulate(ciphertext)
    expect(wrong).toBeDefined()
    expect(wrong).not.toEqual(sharedSecret)
  })

  it('refuses a ciphertext of the wrong length and a low-order X25519 half', () => {
    const pair = new XWingKeyPair(fromHex(vectors[0]!.seed))
    const { ciphertext } = new XWingPublicKey(pair.publicKey).encapsulate()
    expect(pair.decapsulate(ciphertext.subarray(0, XWING_CIPHERTEXT_LENGTH - 1))).toBeUndefined()
    const lowOrder = ciphertext.slice()
    lowOrder.fill(0, 1088)
    expect(pair.decapsulate(lowOrder)).toBeUndefined()
  })

  it('refuses keys and seeds of the wrong length with InvalidKeyError', () => {
    expect(() => new XWingKeyPair(new Uint8Array(31))).toThrow(InvalidKeyError)
    expect(() => new XWingPublicKey(new Uint8Array(XWING_PUBLIC_KEY_LENGTH - 1))).toThrow(InvalidKeyError)
  })
})
