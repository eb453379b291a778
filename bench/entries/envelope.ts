/**
 * seal + open of a 2 KiB request (sign → encrypt → sign, then verify → decrypt → verify),
 * beside the raw primitives the envelope cannot avoid, over the same byte counts: 2 Ed25519
 * signs + 2 verifies (node:crypto) + 1 nacl box.after + 1 box.open.after with a cached shared key.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto'
import { NodeIdentity, SignatureContext, signedBytes } from '@pocnet/crypto'
import { decode, open, type SenderInfo, seal } from '@pocnet/protocol'
import nacl from 'tweetnacl'
import { type BenchEntry, measureRatePair } from '../harness.ts'

const NETWORK = 'pocnet-bench'
const PAYLOAD_BYTES = 2048

export const entries: BenchEntry[] = [
  {
    name: 'envelope seal+open (2 KiB)',
    unit: 'ops/s',
    async run({ quick }) {
      const alice = NodeIdentity.generate()
      const bob = NodeIdentity.generate()
      const aliceInfo: SenderInfo = {
        signingPublicKey: alice.signingPublicKey,
        boxPublicKey: alice.boxPublicKey,
      }
      const payload = new Uint8Array(randomBytes(PAYLOAD_BYTES))
      const recipient = { signingPublicKey: bob.signingPublicKey, boxPublicKey: bob.boxPublicKey }
      const openOptions = { identity: bob, networkId: NETWORK, resolveSender: () => aliceInfo }

      const roundTrip = async () => {
        const sealed = seal({
          sender: alice,
          recipient,
          networkId: NETWORK,
          caseId: 'FR-2026-0001',
          kind: 'request',
          payload,
        })
        const opened = await open(sealed.bytes, openOptions)
        if (!opened.ok) throw new Error(`benchmark envelope rejected: ${opened.reason}`)
      }

      // The baseline signs, verifies and encrypts exactly as many bytes as one real envelope does.
      const sample = seal({
        sender: alice,
        recipient,
        networkId: NETWORK,
        caseId: 'FR-2026-0001',
        kind: 'request',
        payload,
      })
      const [, header] = decode(sample.bytes) as [Uint8Array, Uint8Array, Uint8Array]
      const { ct, nonce: sampleNonce } = decode(header) as { ct: Uint8Array; nonce: Uint8Array }
      const plaintext = bob.box.open(ct, sampleNonce, alice.boxPublicKey)
      if (plaintext === undefined) throw new Error('benchmark sample does not decrypt')
      const [, inner] = decode(plaintext) as [Uint8Array, Uint8Array, Uint8Array]
      const innerData = signedBytes(SignatureContext.envelopeInner, inner)
      const outerData = signedBytes(SignatureContext.envelopeOuter, header)

      const seed = randomBytes(32)
      const privateKey = createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
        format: 'der',
        type: 'pkcs8',
      })
      const publicKey = createPublicKey(privateKey)
      const shared = nacl.box.before(nacl.box.keyPair().publicKey, nacl.box.keyPair().secretKey)
      const nonce = nacl.randomBytes(nacl.box.nonceLength)
      const primitives = () => {
        const innerSig = sign(null, innerData, privateKey)
        const boxed = nacl.box.after(plaintext, nonce, shared)
        const outerSig = sign(null, outerData, privateKey)
        if (!verify(null, outerData, publicKey, outerSig)) throw new Error('baseline outer verify failed')
        if (nacl.box.open.after(boxed, nonce, shared) === null) throw new Error('baseline box.open failed')
        if (!verify(null, innerData, publicKey, innerSig)) throw new Error('baseline inner verify failed')
      }

      const opts = quick ? { runs: 2, runMs: 150, warmupMs: 50 } : { runs: 7, runMs: 700, warmupMs: 300 }
      const { subject, baseline } = await measureRatePair(roundTrip, primitives, opts)
      return {
        value: subject.median,
        baseline: baseline.median,
        baselineName:
          '2 Ed25519 signs + 2 verifies (node:crypto) + nacl box.after + box.open.after, same sizes',
        ratio: subject.median / baseline.median,
        spread: subject.spread,
        extra: { payloadBytes: PAYLOAD_BYTES, envelopeBytes: sample.bytes.length },
      }
    },
  },
]
