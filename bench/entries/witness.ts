/**
 * cosignature/v1 sign + verify on a pocnet checkpoint: the witness signs a cosignature line, it is
 * added to the signed note, and a client verifies the note's cosignatures against the witness key.
 * Baseline: one raw Ed25519 sign + one verify (node:crypto) over the same cosigned message bytes.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto'
import { NodeIdentity, Signer } from '@pocnet/crypto'
import {
  addCosignatures,
  checkpointOrigin,
  cosignedMessage,
  parseCheckpoint,
  signCheckpoint,
  signCosignature,
  verifyCosignatures,
} from '@pocnet/ledger'
import { type BenchEntry, measureRatePair } from '../harness.ts'

const TIMESTAMP = 1_780_000_000

export const entries: BenchEntry[] = [
  {
    name: 'cosignature/v1 sign+verify',
    unit: 'ops/s',
    async run({ quick }) {
      const log = NodeIdentity.generate()
      const root = new Uint8Array(randomBytes(32))
      const origin = checkpointOrigin('pocnet-bench', 'FR')
      const note = signCheckpoint({ origin, size: 1_000_000, root }, log.signer, log.signingPublicKey).note
      const text = parseCheckpoint(note).body
      const seed = new Uint8Array(randomBytes(32))
      const signer = new Signer(seed)
      const witness = { name: 'witness.pocnet.invalid/pocnet-bench/IT', publicKey: signer.publicKey }
      const cosigner = { ...witness, signer }

      const cosignAndVerify = () => {
        const cosigned = addCosignatures(note, [signCosignature(cosigner, text, TIMESTAMP)])
        if (verifyCosignatures(cosigned, [witness]).length !== 1) throw new Error('cosignature rejected')
      }

      const message = cosignedMessage(text, TIMESTAMP)
      const privateKey = createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
        format: 'der',
        type: 'pkcs8',
      })
      const publicKey = createPublicKey(privateKey)
      const primitives = () => {
        const signature = sign(null, message, privateKey)
        if (!verify(null, message, publicKey, signature)) throw new Error('baseline verify failed')
      }

      const opts = quick ? { runs: 2, runMs: 150, warmupMs: 50 } : { runs: 7, runMs: 700, warmupMs: 300 }
      const { subject, baseline } = await measureRatePair(cosignAndVerify, primitives, opts)
      return {
        value: subject.median,
        baseline: baseline.median,
        baselineName: '1 Ed25519 sign + 1 verify (node:crypto) over the same cosigned message',
        ratio: subject.median / baseline.median,
        spread: subject.spread,
        extra: { noteBytes: Buffer.byteLength(note), messageBytes: message.length },
      }
    },
  },
]
