/**
 * cosignature/v1 sign + verify on a pocnet checkpoint: the witness signs a cosignature line, it is
 * added to the signed note, and a client verifies the note's cosignatures against the witness key.
 * Baseline: one raw Ed25519 sign + one verify (node:crypto) over the same cosigned message bytes.
 *
 * And the auditor's verify of a bundle whose checkpoints are all cosigned, with the witness
 * requirement (every cosignature listed and verified) against the same verify without it.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity, Signer } from '@pocnet/crypto'
import {
  addCosignatures,
  checkpointOrigin,
  cosignedMessage,
  Ledger,
  parseCheckpoint,
  signCheckpoint,
  signCosignature,
  type VerifyOptions,
  verifyCosignatures,
  verifyLedger,
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
  {
    name: 'ledger verify with cosignature checks',
    unit: 'entries/s',
    async run({ quick }) {
      const size = quick ? 10_000 : 50_000
      // a checkpoint every 100 entries (a quiet node's minute), each cosigned by three members
      const every = 100
      const root = await mkdtemp(join(tmpdir(), 'pocnet-bench-cosigned-'))
      process.once('exit', () => rmSync(root, { recursive: true, force: true }))
      const network = 'pocnet-bench'
      const ledger = await Ledger.open({
        dir: join(root, 'ledger'),
        identity: NodeIdentity.generate(),
        origin: checkpointOrigin(network, 'FR'),
      })
      const cosigners = ['IT', 'US', 'DE'].map((country) => {
        const signer = new Signer(new Uint8Array(randomBytes(32)))
        return { name: checkpointOrigin(network, country), publicKey: signer.publicKey, signer }
      })
      for (let seq = 0; seq < size; seq += every) {
        await ledger.appendBatch(
          Array.from({ length: every }, (_, i) => ({
            kind: 'message-received' as const,
            actor: 'country:IT',
            counterpart: 'IT',
            caseId: `case-${(seq + i) % 97}`,
            messageId: `m-${seq + i}`,
          })),
        )
        const checkpoint = await ledger.checkpoint()
        const text = parseCheckpoint(checkpoint.note).body
        await ledger.addCosignatures(
          checkpoint.size,
          cosigners.map((c) => signCosignature(c, text, TIMESTAMP)),
        )
      }
      const bundle = join(root, 'fr.pnlb')
      await ledger.export(bundle)
      await ledger.close()
      const keys = cosigners.map(({ name, publicKey }) => ({ name, publicKey }))
      // one thread each: worker start-up would otherwise weigh on both sides of a 10^4-entry verify
      const verifyOnce = (options: VerifyOptions) => async () => {
        const report = await verifyLedger(bundle, { threads: 0, ...options })
        if (!report.ok) throw new Error(`verify failed: ${report.problem?.reason}`)
      }
      const opts = quick ? { runs: 2, runMs: 400, warmupMs: 100 } : { runs: 5, runMs: 1500, warmupMs: 300 }
      const { subject, baseline } = await measureRatePair(
        verifyOnce({ witnesses: { keys, min: 2 } }),
        verifyOnce({}),
        opts,
      )
      return {
        value: subject.median * size,
        baseline: baseline.median * size,
        baselineName: 'the same verify of the same bundle without the witness requirement',
        ratio: subject.median / baseline.median,
        spread: subject.spread,
        note: `${size / every} checkpoints, each with ${cosigners.length} cosignatures, all verified`,
        extra: { entries: size, checkpoints: size / every, cosignatures: (size / every) * cosigners.length },
      }
    },
  },
]
