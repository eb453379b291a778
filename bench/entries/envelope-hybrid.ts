/**
 * Hybrid seal + open of a 2 KiB request (sign → X-Wing + box key schedule → encrypt → sign, then
 * verify → decapsulate → decrypt → verify), beside the raw primitives it cannot avoid, over the
 * same byte counts: 2 Ed25519 signs + 2 verifies, one ML-KEM-768 encapsulation and decapsulation,
 * an X25519 key generation and two X25519 agreements (with the import of the ephemeral key), four
 * SHA3-256 (X-Wing's combiner and the content key, each side) and one secretbox seal and open —
 * all node:crypto but the secretbox (tweetnacl, as the envelope). The classical envelope's rate in
 * the same run and the size overhead are reported beside it.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  decapsulate,
  diffieHellman,
  encapsulate,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import { NodeIdentity, SignatureContext, signedBytes, XWING_CIPHERTEXT_LENGTH } from '@pocnet/crypto'
import { decode, open, type SenderInfo, seal } from '@pocnet/protocol'
import nacl from 'tweetnacl'
import { type BenchEntry, measureRate, measureRatePair } from '../harness.ts'

const NETWORK = 'pocnet-bench'
const PAYLOAD_BYTES = 2048

export const entries: BenchEntry[] = [
  {
    name: 'envelope hybrid seal+open (2 KiB)',
    unit: 'ops/s',
    async run({ quick }) {
      const alice = NodeIdentity.generate()
      const bob = NodeIdentity.generate()
      const aliceInfo: SenderInfo = {
        signingPublicKey: alice.signingPublicKey,
        boxPublicKey: alice.boxPublicKey,
        kemPublicKey: alice.kemPublicKey!,
      }
      const payload = new Uint8Array(randomBytes(PAYLOAD_BYTES))
      const classicalTo = { signingPublicKey: bob.signingPublicKey, boxPublicKey: bob.boxPublicKey }
      const hybridTo = { ...classicalTo, kemPublicKey: bob.kemPublicKey! }
      const openOptions = { identity: bob, networkId: NETWORK, resolveSender: () => aliceInfo }
      const sealTo = (recipient: typeof classicalTo) =>
        seal({
          sender: alice,
          recipient,
          networkId: NETWORK,
          caseId: 'FR-2026-0001',
          kind: 'request',
          payload,
        })

      const roundTrip = (recipient: typeof classicalTo, options: Parameters<typeof open>[1]) => async () => {
        const opened = await open(sealTo(recipient).bytes, options)
        if (!opened.ok) throw new Error(`benchmark envelope rejected: ${opened.reason}`)
      }
      const hybridRoundTrip = roundTrip(hybridTo, openOptions)
      // the classical envelope from a sender that does not advertise hybrid (no downgrade)
      const classicalRoundTrip = roundTrip(classicalTo, {
        ...openOptions,
        resolveSender: () => ({ signingPublicKey: alice.signingPublicKey, boxPublicKey: alice.boxPublicKey }),
      })

      // The baseline signs, verifies and encrypts exactly as many bytes as one real envelope does.
      const sample = sealTo(hybridTo)
      const classicalBytes = sealTo(classicalTo).bytes.length
      const [, header] = decode(sample.bytes) as [Uint8Array, Uint8Array, Uint8Array]
      const { ct } = decode(header) as { ct: Uint8Array }
      const plaintext = new Uint8Array(ct.length - nacl.secretbox.overheadLength)
      const innerData = signedBytes(SignatureContext.envelopeInner, plaintext)
      const outerData = signedBytes(SignatureContext.envelopeOuter, header)

      const seed = randomBytes(32)
      const privateKey = createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
        format: 'der',
        type: 'pkcs8',
      })
      const publicKey = createPublicKey(privateKey)
      const mlkem = generateKeyPairSync('ml-kem-768')
      const x25519 = generateKeyPairSync('x25519')
      const pkX = x25519.publicKey.export({ format: 'raw-public' })
      const boxKey = nacl.box.before(nacl.box.keyPair().publicKey, nacl.box.keyPair().secretKey)
      const context = randomBytes(96)
      const nonce = nacl.randomBytes(nacl.secretbox.nonceLength)
      const keySchedule = (ssM: Buffer, ssX: Buffer, ctX: Buffer, kemCt: Buffer) => {
        const ss = createHash('sha3-256').update(ssM).update(ssX).update(ctX).update(pkX).digest()
        return new Uint8Array(
          createHash('sha3-256').update(ss).update(boxKey).update(kemCt).update(context).digest(),
        )
      }
      const primitives = () => {
        const innerSig = sign(null, innerData, privateKey)
        const kem = encapsulate(mlkem.publicKey)
        const ephemeral = generateKeyPairSync('x25519')
        const ctX = ephemeral.publicKey.export({ format: 'raw-public' })
        const ssX = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: x25519.publicKey })
        const boxed = nacl.secretbox(plaintext, nonce, keySchedule(kem.sharedKey, ssX, ctX, kem.ciphertext))
        const outerSig = sign(null, outerData, privateKey)
        if (!verify(null, outerData, publicKey, outerSig)) throw new Error('baseline outer verify failed')
        const ssM2 = decapsulate(mlkem.privateKey, kem.ciphertext)
        const theirs = createPublicKey({ key: ctX, format: 'raw-public', asymmetricKeyType: 'x25519' })
        const ssX2 = diffieHellman({ privateKey: x25519.privateKey, publicKey: theirs })
        if (nacl.secretbox.open(boxed, nonce, keySchedule(ssM2, ssX2, ctX, kem.ciphertext)) === null)
          throw new Error('baseline secretbox.open failed')
        if (!verify(null, innerData, publicKey, innerSig)) throw new Error('baseline inner verify failed')
      }

      const opts = quick ? { runs: 2, runMs: 150, warmupMs: 50 } : { runs: 7, runMs: 700, warmupMs: 300 }
      const { subject, baseline } = await measureRatePair(hybridRoundTrip, primitives, opts)
      const classical = await measureRate(classicalRoundTrip, opts)
      return {
        value: subject.median,
        baseline: baseline.median,
        baselineName:
          '2 Ed25519 signs + 2 verifies + ML-KEM-768 encaps + decaps + X25519 keygen + 2 agreements + 4 SHA3-256 + secretbox seal + open, same sizes',
        ratio: subject.median / baseline.median,
        spread: subject.spread,
        extra: {
          payloadBytes: PAYLOAD_BYTES,
          envelopeBytes: sample.bytes.length,
          classicalEnvelopeBytes: classicalBytes,
          overheadBytes: sample.bytes.length - classicalBytes,
          kemCiphertextBytes: XWING_CIPHERTEXT_LENGTH,
          classicalOpsPerSecond: classical.median,
        },
      }
    },
  },
]
