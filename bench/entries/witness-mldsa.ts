/**
 * ML-DSA-44 cosignatures (c2sp.org/tlog-cosignature, type 0x06) on a pocnet checkpoint, signing and
 * verifying measured apart (a signature costs several verifications):
 *
 * - cosign: the witness builds the subtree/v1 message and signs the line; baseline one raw
 *   ML-DSA-44 sign (node:crypto) over the same message bytes.
 * - verify: an auditor reads the line off the note and checks it against the witness's keys (key ID,
 *   shape, signature); baseline one raw ML-DSA-44 verify of the same signature and message.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto'
import { MlDsa44Signer, NodeIdentity } from '@pocnet/crypto'
import {
  addCosignatures,
  checkCosignatureOf,
  checkpointOrigin,
  cosignatureKindOf,
  parseCheckpoint,
  signCheckpoint,
  signMlDsaCosignature,
  splitNote,
  subtreeCosignedMessage,
} from '@pocnet/ledger'
import { type BenchEntry, measureRatePair } from '../harness.ts'

const TIMESTAMP = 1_780_000_000

/** A signed checkpoint, an ML-DSA-44 witness, and the raw keys and message of the baselines. */
function setting() {
  const log = NodeIdentity.generate()
  const origin = checkpointOrigin('pocnet-bench', 'FR')
  const checkpoint = signCheckpoint(
    { origin, size: 1_000_000, root: new Uint8Array(randomBytes(32)) },
    log.signer,
    log.signingPublicKey,
  )
  const text = parseCheckpoint(checkpoint.note).body
  const signer = MlDsa44Signer.generate()
  const name = checkpointOrigin('pocnet-bench', 'IT')
  const cosigner = { name, publicKey: signer.publicKey, signer }
  const witness = { name, publicKey: log.signingPublicKey, mlDsaPublicKey: signer.publicKey }
  const message = subtreeCosignedMessage(name, TIMESTAMP, checkpoint)
  const privateKey = createPrivateKey({
    key: Buffer.from(signer.seed),
    format: 'raw-seed',
    asymmetricKeyType: 'ml-dsa-44',
  })
  return { checkpoint, text, cosigner, witness, message, privateKey, publicKey: createPublicKey(privateKey) }
}

export const entries: BenchEntry[] = [
  {
    name: 'ML-DSA-44 cosign',
    unit: 'ops/s',
    async run({ quick }) {
      const s = setting()
      const cosign = () => {
        if (signMlDsaCosignature(s.cosigner, s.text, TIMESTAMP).length === 0) throw new Error('no line')
      }
      const primitive = () => {
        if (sign(null, s.message, s.privateKey).length !== 2420) throw new Error('baseline sign failed')
      }
      const opts = quick ? { runs: 2, runMs: 200, warmupMs: 50 } : { runs: 7, runMs: 700, warmupMs: 300 }
      const { subject, baseline } = await measureRatePair(cosign, primitive, opts)
      return {
        value: subject.median,
        baseline: baseline.median,
        baselineName: '1 ML-DSA-44 sign (node:crypto) over the same subtree/v1 message',
        ratio: subject.median / baseline.median,
        spread: subject.spread,
        extra: {
          messageBytes: s.message.length,
          lineBytes: Buffer.byteLength(signMlDsaCosignature(s.cosigner, s.text, TIMESTAMP)),
        },
      }
    },
  },
  {
    name: 'ML-DSA-44 cosignature verify',
    unit: 'ops/s',
    async run({ quick }) {
      const s = setting()
      const note = addCosignatures(s.checkpoint.note, [signMlDsaCosignature(s.cosigner, s.text, TIMESTAMP)])
      const { text, signatures } = splitNote(note)
      const line = signatures[1]!
      const check = () => {
        const kind = cosignatureKindOf(line, s.witness)
        if (kind === undefined || !checkCosignatureOf(text, line.line, kind, s.witness).valid)
          throw new Error('cosignature rejected')
      }
      const signature = line.signature.subarray(8)
      const primitive = () => {
        if (!verify(null, s.message, s.publicKey, signature)) throw new Error('baseline verify failed')
      }
      const opts = quick ? { runs: 2, runMs: 200, warmupMs: 50 } : { runs: 7, runMs: 700, warmupMs: 300 }
      const { subject, baseline } = await measureRatePair(check, primitive, opts)
      return {
        value: subject.median,
        baseline: baseline.median,
        baselineName: '1 ML-DSA-44 verify (node:crypto) of the same signature and message',
        ratio: subject.median / baseline.median,
        spread: subject.spread,
        extra: { noteBytes: Buffer.byteLength(note) },
      }
    },
  },
]
