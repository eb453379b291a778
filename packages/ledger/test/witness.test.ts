import { join } from 'node:path'
import { MlDsa44Signer, Signer } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyCosignatures } from '../src/cosignature.ts'
import { addCosignatures } from '../src/cosigned-note.ts'
import {
  ConsistencyProofError,
  EquivocationError,
  EvidenceError,
  LogSignatureError,
  OldSizeMismatchError,
  RollbackError,
  UnknownLogError,
  type WitnessRefusedError,
  WitnessRequestError,
} from '../src/errors.ts'
import { parseMlDsaCosignature, verifyMlDsaCosignature } from '../src/mldsa-cosignature.ts'
import { splitNote } from '../src/signed-note.ts'
import { type EquivocationEvidence, verifyEvidence } from '../src/witness/evidence.ts'
import { Witness } from '../src/witness/witness.ts'
import { tempDir } from './fixtures/ledger.ts'
import { MemoryLog } from './fixtures/memory-log.ts'

const ORIGIN = 'pocnet.invalid/test-net/FR'
const LOG_SEED = new Uint8Array(32).fill(1)
const WITNESS_NAME = 'witness.pocnet.invalid/test-net/IT'
const witnessSigner = new Signer(new Uint8Array(32).fill(2))
const witnessKey = { name: WITNESS_NAME, publicKey: witnessSigner.publicKey }
const NOW = Date.UTC(2026, 4, 1, 12, 0, 0, 750)

let work: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

let dirs = 0
function openWitness(dir = join(work.path, `witness-${dirs++}`), log = new MemoryLog(ORIGIN, LOG_SEED)) {
  return Witness.open({
    dir,
    cosigner: { ...witnessKey, signer: witnessSigner },
    logs: [
      {
        origin: ORIGIN,
        publicKeys: [new Signer(new Uint8Array(32).fill(9)).publicKey, log.signer.publicKey],
      },
    ],
    now: () => NOW,
  })
}

/** Asks `witness` to cosign `log`'s current checkpoint, proving from `oldSize`. */
function submit(witness: Witness, log: MemoryLog, oldSize: number, proof = log.proof(oldSize)) {
  return witness.addCheckpoint({ oldSize, consistencyProof: proof, checkpointNote: log.checkpoint().note })
}

async function refusal(promise: Promise<unknown>): Promise<WitnessRefusedError> {
  try {
    await promise
  } catch (err) {
    return err as WitnessRefusedError
  }
  throw new Error('the witness cosigned')
}

describe('a witness', () => {
  it('with an ML-DSA-44 key, cosigns with both kinds under its name, at the same time', async () => {
    const mlDsa = MlDsa44Signer.generate()
    const witness = await Witness.open({
      dir: join(work.path, `witness-${dirs++}`),
      cosigner: { ...witnessKey, signer: witnessSigner },
      mlDsaCosigner: { name: WITNESS_NAME, publicKey: mlDsa.publicKey, signer: mlDsa },
      logs: [{ origin: ORIGIN, publicKeys: [new MemoryLog(ORIGIN, LOG_SEED).signer.publicKey] }],
      now: () => NOW,
    })
    const log = new MemoryLog(ORIGIN, LOG_SEED)
    log.append(5)
    const cosigned = await submit(witness, log, 0)
    const pq = parseMlDsaCosignature(cosigned.mlDsaCosignature!)
    expect(pq.name).toBe(WITNESS_NAME)
    expect(pq.timestamp).toBe(cosigned.timestamp)
    const note = addCosignatures(log.checkpoint().note, [cosigned.cosignature, cosigned.mlDsaCosignature!])
    expect(verifyMlDsaCosignature(splitNote(note).text, pq, mlDsa.publicKey)).toBe(true)
    expect(verifyCosignatures(note, [witnessKey])).toHaveLength(1)
    await witness.close()
    // without one, it cosigns with Ed25519 alone
    const classical = await openWitness()
    expect((await submit(classical, log, 0)).mlDsaCosignature).toBeUndefined()
    await classical.close()
  })

  it('cosigns a consistent chain, each cosignature valid cosignature/v1 at its clock time', async () => {
    const witness = await openWitness()
    const log = new MemoryLog(ORIGIN, LOG_SEED)
    let held = 0
    for (const grow of [5, 3, 5, 19, 32]) {
      log.append(grow) // sizes 5, 8 (a power of two), 13, 32, 64
      const cosigned = await submit(witness, log, held)
      expect(cosigned.checkpoint.size).toBe(log.size)
      expect(cosigned.timestamp).toBe(Math.floor(NOW / 1000))
      const note = addCosignatures(log.checkpoint().note, [cosigned.cosignature])
      expect(verifyCosignatures(note, [witnessKey])).toEqual([
        { ...witnessKey, timestamp: cosigned.timestamp },
      ])
      expect(witness.held(ORIGIN)?.size).toBe(log.size)
      held = log.size
    }
    // the same checkpoint again is cosigned again
    expect((await submit(witness, log, held)).checkpoint.size).toBe(64)
    expect(await witness.evidence()).toEqual([])
    await witness.close()
  })

  it('refuses an unknown log, a bad log signature and a malformed request', async () => {
    const witness = await openWitness()
    const stranger = new MemoryLog('pocnet.invalid/test-net/XX', LOG_SEED).append(3)
    const unknown = await refusal(submit(witness, stranger, 0))
    expect(unknown).toBeInstanceOf(UnknownLogError)
    expect(unknown.status).toBe(404)

    const impostor = new MemoryLog(ORIGIN, new Uint8Array(32).fill(3)).append(3)
    const forged = await refusal(submit(witness, impostor, 0))
    expect(forged).toBeInstanceOf(LogSignatureError)
    expect(forged.status).toBe(403)

    const log = new MemoryLog(ORIGIN, LOG_SEED).append(3)
    const tampered = log.checkpoint().note.replace('\n3\n', '\n4\n')
    const bad = await refusal(
      witness.addCheckpoint({ oldSize: 0, consistencyProof: [], checkpointNote: tampered }),
    )
    expect(bad).toBeInstanceOf(LogSignatureError)
    for (const request of [
      { oldSize: 0, consistencyProof: [], checkpointNote: 'not a note' },
      { oldSize: 4, consistencyProof: [], checkpointNote: log.checkpoint().note },
      { oldSize: -1, consistencyProof: [], checkpointNote: log.checkpoint().note },
      { oldSize: 0, consistencyProof: [new Uint8Array(32)], checkpointNote: log.checkpoint().note },
    ])
      expect(await refusal(witness.addCheckpoint(request))).toBeInstanceOf(WitnessRequestError)
    expect(witness.held(ORIGIN)).toBeUndefined()
    await witness.close()
  })

  it('refuses a rollback and a wrong old size, telling the size it holds', async () => {
    const witness = await openWitness()
    const log = new MemoryLog(ORIGIN, LOG_SEED).append(6)
    const small = log.checkpoint()
    await submit(witness, log, 0)
    log.append(7)
    await submit(witness, log, 6)

    const rollback = await refusal(
      witness.addCheckpoint({ oldSize: 0, consistencyProof: [], checkpointNote: small.note }),
    )
    expect(rollback).toBeInstanceOf(RollbackError)
    expect((rollback as RollbackError).heldSize).toBe(13)

    log.append(2)
    const mismatch = await refusal(submit(witness, log, 6))
    expect(mismatch).toBeInstanceOf(OldSizeMismatchError)
    expect(mismatch.status).toBe(409)
    expect((mismatch as OldSizeMismatchError).heldSize).toBe(13)
    // resynchronised from the size the refusal named, it is cosigned
    expect((await submit(witness, log, 13)).checkpoint.size).toBe(15)
    await witness.close()
  })

  it('refuses a consistency proof that does not verify, recording no evidence', async () => {
    const witness = await openWitness()
    const log = new MemoryLog(ORIGIN, LOG_SEED).append(13)
    await submit(witness, log, 0)
    log.append(10)
    const proof = log.proof(13)
    proof[1] = new Uint8Array(32).fill(7)
    const bad = await refusal(submit(witness, log, 13, proof))
    expect(bad).toBeInstanceOf(ConsistencyProofError)
    expect(bad.status).toBe(422)
    expect(await refusal(submit(witness, log, 13, proof.slice(1)))).toBeInstanceOf(ConsistencyProofError)
    expect(await witness.evidence()).toEqual([])
    expect(witness.held(ORIGIN)?.size).toBe(13)
    await witness.close()
  })

  it('serialises concurrent requests for one log: the later one sees the newer size', async () => {
    const witness = await openWitness()
    const log = new MemoryLog(ORIGIN, LOG_SEED).append(13)
    await submit(witness, log, 0)
    const at15 = { ...log.append(2).checkpoint(), proof: log.proof(13) }
    const at17 = { ...log.append(2).checkpoint(), proof: log.proof(13) }
    const results = await Promise.allSettled([
      witness.addCheckpoint({ oldSize: 13, consistencyProof: at17.proof, checkpointNote: at17.note }),
      witness.addCheckpoint({ oldSize: 13, consistencyProof: at15.proof, checkpointNote: at15.note }),
    ])
    expect(results[0].status).toBe('fulfilled')
    const second = (results[1] as PromiseRejectedResult).reason
    expect(second).toBeInstanceOf(RollbackError)
    expect(witness.held(ORIGIN)?.size).toBe(17)
    await witness.close()
  })
})

describe('equivocation evidence', () => {
  const honest = () => new MemoryLog(ORIGIN, LOG_SEED)
  const fork = () => new MemoryLog(ORIGIN, LOG_SEED, 'fork ')

  async function evidenceOf(promise: Promise<unknown>): Promise<EquivocationEvidence> {
    const err = await refusal(promise)
    expect(err).toBeInstanceOf(EquivocationError)
    return (err as EquivocationError).evidence
  }

  it('is produced for the same size with another root, verifies, and survives a reopen', async () => {
    const dir = join(work.path, 'same-size')
    const witness = await openWitness(dir)
    const a = honest().append(13)
    await submit(witness, a, 0)
    const b = fork().append(13)
    const evidence = await evidenceOf(submit(witness, b, 13))
    expect(evidence.kind).toBe('same-size')
    expect(evidence.heldNote).toBe(a.checkpoint().note)
    expect(evidence.conflictingNote).toBe(b.checkpoint().note)
    expect(verifyEvidence(evidence, a.signer.publicKey).conflicting.size).toBe(13)
    expect(witness.held(ORIGIN)?.root).toEqual(a.checkpoint().root)
    await witness.close()

    const reopened = await openWitness(dir)
    const stored = await reopened.evidence()
    expect(stored).toEqual([evidence])
    expect(() => verifyEvidence(JSON.parse(JSON.stringify(stored[0])), a.signer.publicKey)).not.toThrow()
    expect(reopened.held(ORIGIN)?.root).toEqual(a.checkpoint().root)
    await reopened.close()
  })

  it('is produced for a larger tree whose proof implies another prefix, and verifies', async () => {
    const dir = join(work.path, 'larger')
    const witness = await openWitness(dir)
    const a = honest().append(13)
    await submit(witness, a, 0)
    const b = fork().append(21)
    const evidence = await evidenceOf(submit(witness, b, 13, b.proof(13)))
    expect(evidence.kind).toBe('inconsistent-proof')
    const verified = verifyEvidence(evidence, [a.signer.publicKey])
    expect([verified.held.size, verified.conflicting.size]).toEqual([13, 21])
    expect(witness.held(ORIGIN)?.size).toBe(13)
    await witness.close()

    const reopened = await openWitness(dir)
    expect(await reopened.evidence()).toEqual([evidence])
    await reopened.close()
  })

  it('that proves nothing is refused by verifyEvidence', async () => {
    const witness = await openWitness()
    const a = honest().append(13)
    await submit(witness, a, 0)
    const b = fork().append(21)
    const evidence = await evidenceOf(submit(witness, b, 13, b.proof(13)))
    await witness.close()

    const otherKey = new Signer(new Uint8Array(32).fill(4)).publicKey
    const consistent = honest().append(21)
    const cases: Array<[EquivocationEvidence, Uint8Array, RegExp]> = [
      [evidence, otherKey, /not validly signed by the log/],
      [{ ...evidence, proof: evidence.proof.slice(1) }, a.signer.publicKey, /proves nothing/],
      [
        { ...evidence, conflictingNote: consistent.checkpoint().note, proof: consistent.proof(13).map(b64) },
        a.signer.publicKey,
        /is a prefix/,
      ],
      [{ ...evidence, kind: 'same-size' }, a.signer.publicKey, /of one size/],
      [{ ...evidence, origin: 'pocnet.invalid/test-net/DE' }, a.signer.publicKey, /checkpoints of/],
    ]
    for (const [bad, key, rule] of cases) {
      expect(() => verifyEvidence(bad, key)).toThrow(EvidenceError)
      expect(() => verifyEvidence(bad, key)).toThrow(rule)
    }
  })
})

function b64(hash: Uint8Array): string {
  return Buffer.from(hash).toString('base64')
}
