import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Signer, toHex } from '@pocnet/crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseCheckpoint, type SignedCheckpoint } from '../src/checkpoint.ts'
import { signCosignature, verifyCosignatures, type WitnessKey } from '../src/cosignature.ts'
import { CheckpointFormatError, CheckpointNotFoundError, NotFoundError } from '../src/errors.ts'
import type { Ledger } from '../src/ledger.ts'
import { hashLeaf } from '../src/merkle.ts'
import { checkProofLocally } from '../src/proof-check.ts'
import { splitNote } from '../src/signed-note.ts'
import { verifyLedger } from '../src/verify.ts'
import { NodeIdentity, ORIGIN, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'

let dir: { path: string; cleanup: () => Promise<void> }
let identity: NodeIdentity

beforeEach(async () => {
  dir = await tempDir()
  identity = NodeIdentity.generate()
})
afterEach(async () => {
  await dir.cleanup()
})

const witnessOf = (n: number) => {
  const signer = new Signer(new Uint8Array(32).fill(40 + n))
  return { name: `pocnet.invalid/test-net/W${n}`, publicKey: signer.publicKey, signer }
}
const [w1, w2, w3] = [witnessOf(1), witnessOf(2), witnessOf(3)]
const keyOf = (w: typeof w1): WitnessKey => ({ name: w.name, publicKey: w.publicKey })
const cosign = (w: typeof w1, cp: SignedCheckpoint, time: number) =>
  signCosignature(w, parseCheckpoint(cp.note).body, time)
const signatureLines = (note: string) => splitNote(note).signatures.map((s) => s.line)

async function ledgerWithCheckpoints(): Promise<{
  ledger: Ledger
  first: SignedCheckpoint
  latest: SignedCheckpoint
}> {
  const ledger = await openTestLedger(dir.path, identity)
  await ledger.appendBatch([sampleEvent(0), sampleEvent(1), sampleEvent(2)])
  const first = await ledger.checkpoint()
  await ledger.append(sampleEvent(3))
  const latest = await ledger.checkpoint()
  return { ledger, first, latest }
}

describe('Ledger.addCosignatures', () => {
  it('puts the lines on the stored note, which checkpoints(), latestCheckpoint() and the file return', async () => {
    const { ledger, latest } = await ledgerWithCheckpoints()
    const lines = [cosign(w1, latest, 100), cosign(w2, latest, 200)]
    expect(await ledger.addCosignatures(latest.size, lines)).toBe(2)
    const note = ledger.latestCheckpoint()!.note
    expect(note).toBe(`${latest.note}${lines.join('\n')}\n`)
    expect((await ledger.checkpoints()).at(-1)!.note).toBe(note)
    expect(await readFile(join(dir.path, 'checkpoint'), 'utf8')).toBe(note)
    expect(verifyCosignatures(note, [keyOf(w1), keyOf(w2), keyOf(w3)])).toEqual([
      { ...keyOf(w1), timestamp: 100 },
      { ...keyOf(w2), timestamp: 200 },
    ])
    // the same checkpoint when nothing new came: with its cosignatures
    expect((await ledger.checkpoint()).note).toBe(note)
    await ledger.close()
  })

  it('keeps one line per witness, the first: a repeat or a later line of that witness adds nothing', async () => {
    const { ledger, latest } = await ledgerWithCheckpoints()
    const first = cosign(w1, latest, 100)
    expect(await ledger.addCosignatures(latest.size, [first, cosign(w1, latest, 150)])).toBe(1)
    expect(await ledger.addCosignatures(latest.size, [first])).toBe(0)
    expect(
      await ledger.addCosignatures(latest.size, [cosign(w1, latest, 300), cosign(w3, latest, 300)]),
    ).toBe(1)
    const lines = signatureLines(ledger.latestCheckpoint()!.note)
    expect(lines.slice(1)).toEqual([first, cosign(w3, latest, 300)])
    await ledger.close()
  })

  it('stores lines on an older checkpoint without touching the latest or its file', async () => {
    const { ledger, first, latest } = await ledgerWithCheckpoints()
    expect(await ledger.addCosignatures(first.size, [cosign(w1, first, 100)])).toBe(1)
    expect(ledger.latestCheckpoint()!.note).toBe(latest.note)
    expect(await readFile(join(dir.path, 'checkpoint'), 'utf8')).toBe(latest.note)
    const [older] = await ledger.checkpoints()
    expect(verifyCosignatures(older!.note, [keyOf(w1)])).toEqual([{ ...keyOf(w1), timestamp: 100 }])
    await ledger.close()
  })

  it('keeps them across close and reopen', async () => {
    const { ledger, first, latest } = await ledgerWithCheckpoints()
    await ledger.addCosignatures(first.size, [cosign(w2, first, 50)])
    await ledger.addCosignatures(latest.size, [cosign(w1, latest, 100), cosign(w2, latest, 100)])
    const before = (await ledger.checkpoints()).map((c) => c.note)
    await ledger.close()
    const reopened = await openTestLedger(dir.path, identity)
    expect((await reopened.checkpoints()).map((c) => c.note)).toEqual(before)
    expect(reopened.latestCheckpoint()!.note).toBe(before[1])
    await reopened.close()
  })

  it('refuses a size with no stored checkpoint, and a malformed line, storing nothing', async () => {
    const { ledger, latest } = await ledgerWithCheckpoints()
    for (const size of [2, 99, -1, 1.5]) {
      const refusal = await ledger.addCosignatures(size, [cosign(w1, latest, 1)]).catch((e: unknown) => e)
      expect(refusal).toBeInstanceOf(CheckpointNotFoundError)
      expect(refusal).toBeInstanceOf(NotFoundError)
      expect((refusal as CheckpointNotFoundError).message).toMatch(
        /no checkpoint of size .* is stored \(the latest is of size 4\)/,
      )
      expect((refusal as CheckpointNotFoundError).hint).toMatch(/size of the note the witness cosigned/)
    }
    await expect(ledger.addCosignatures(latest.size, [cosign(w1, latest, 1), 'not a line'])).rejects.toThrow(
      CheckpointFormatError,
    )
    expect(ledger.latestCheckpoint()!.note).toBe(latest.note)
    await ledger.close()
    const empty = await tempDir()
    const fresh = await openTestLedger(empty.path, identity)
    await expect(fresh.addCosignatures(0, [cosign(w1, latest, 1)])).rejects.toThrow(/none was signed yet/)
    await fresh.close()
    await empty.cleanup()
  })

  it('stores only what keeps the note readable, and says how many went in', async () => {
    const { ledger, latest } = await ledgerWithCheckpoints()
    const many = Array.from({ length: 40 }, (_, i) => cosign(witnessOf(10 + i), latest, 7))
    const added = await ledger.addCosignatures(latest.size, many)
    expect(added).toBeGreaterThan(10)
    expect(added).toBeLessThan(40)
    const note = ledger.latestCheckpoint()!.note
    expect(signatureLines(note)).toEqual([signatureLines(latest.note)[0], ...many.slice(0, added)])
    expect(await ledger.addCosignatures(latest.size, many)).toBe(0)
    await ledger.close()
  })

  it('are carried by export bundles and proofs, and both verify', async () => {
    const { ledger, first, latest } = await ledgerWithCheckpoints()
    await ledger.addCosignatures(first.size, [cosign(w1, first, 10)])
    await ledger.addCosignatures(latest.size, [cosign(w1, latest, 20), cosign(w2, latest, 21)])
    const bundle = join(dir.path, 'export.pnlb')
    const exported = await ledger.export(bundle)
    expect(exported.checkpoint.note).toBe(ledger.latestCheckpoint()!.note)
    const fromBundle = await verifyLedger(bundle, { publicKey: identity.signingPublicKey })
    expect(fromBundle.ok).toBe(true)
    expect(fromBundle.latestCheckpoint?.note).toBe(ledger.latestCheckpoint()!.note)
    expect(verifyCosignatures(fromBundle.latestCheckpoint!.note, [keyOf(w1), keyOf(w2)])).toHaveLength(2)
    const proof = {
      seq: 1,
      treeSize: latest.size,
      leafHash: toHex(hashLeaf(await ledger.getBytes(1))),
      proof: (await ledger.inclusionProof(1)).map(toHex),
      checkpoint: ledger.latestCheckpoint()!.note,
    }
    expect(checkProofLocally(proof, 1, { publicKey: identity.signingPublicKey, origin: ORIGIN }).size).toBe(4)
    await ledger.close()
    const fromDir = await verifyLedger(dir.path, { publicKey: identity.signingPublicKey })
    expect(fromDir.ok).toBe(true)
  })

  it('lets an export have the checkpoint it ends at cosigned before the bundle is written', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.appendBatch([sampleEvent(0), sampleEvent(1)])
    const bundle = join(dir.path, 'export.pnlb')
    const exported = await ledger.export(bundle, {
      cosign: async (checkpoint) => {
        expect(checkpoint.size).toBe(2)
        await ledger.addCosignatures(checkpoint.size, [cosign(w1, checkpoint, 5)])
      },
    })
    expect(verifyCosignatures(exported.checkpoint.note, [keyOf(w1)])).toEqual([
      { ...keyOf(w1), timestamp: 5 },
    ])
    const report = await verifyLedger(bundle, { witnesses: { keys: [keyOf(w1)], min: 1 } })
    expect(report.ok).toBe(true)
    await ledger.close()
  })

  it('rewrites a checkpoint file left behind by a crash when the ledger opens', async () => {
    const { ledger, latest } = await ledgerWithCheckpoints()
    await ledger.addCosignatures(latest.size, [cosign(w1, latest, 100)])
    const note = ledger.latestCheckpoint()!.note
    await ledger.close()
    // as if the process died after the database write and before the file's
    await writeFile(join(dir.path, 'checkpoint'), latest.note)
    const reopened = await openTestLedger(dir.path, identity)
    expect(await readFile(join(dir.path, 'checkpoint'), 'utf8')).toBe(note)
    await reopened.close()
  })
})
