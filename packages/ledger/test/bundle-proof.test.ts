import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBundle } from '../src/bundle.ts'
import { EntryNotCoveredError, proveFromBundle } from '../src/bundle-proof.ts'
import { checkpointOrigin, signCheckpoint } from '../src/checkpoint.ts'
import { hashLeaf, MerkleFrontier } from '../src/merkle.ts'
import { checkProofLocally } from '../src/proof-check.ts'
import { tempDir } from './fixtures/ledger.ts'

// `pocnet ledger prove --bundle`: the proof is worked out from the bundle alone and checks
// against the bundle's signed checkpoint like a proof the node serves.

let work: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

const node = NodeIdentity.generate()
const origin = checkpointOrigin('test-net', 'FR')
const pin = { publicKey: node.signingPublicKey, origin }

async function* items<T>(list: T[]): AsyncGenerator<T> {
  for (const x of list) yield x
}

/** A bundle of `entries` entries whose checkpoints sign the first `signed` sizes. */
async function bundle(name: string, entries: number, signed: number[]): Promise<string> {
  const bytes = Array.from({ length: entries }, (_, i) => new TextEncoder().encode(`entry ${i}`))
  const checkpoints = signed.map((size) => {
    const tree = new MerkleFrontier()
    for (const b of bytes.slice(0, size)) tree.append(hashLeaf(b))
    return signCheckpoint({ origin, size, root: tree.root() }, node.signer, node.signingPublicKey).note
  })
  const path = join(work.path, name)
  await writeBundle(path, {
    origin,
    publicKey: node.signingPublicKey,
    size: entries,
    exportedAt: 0,
    checkpoints,
    blobs: items([]),
    entries: items(bytes),
  })
  return path
}

describe('inclusion proofs from an export bundle', () => {
  it('proves every entry of trees of 1 to 13 entries against the latest checkpoint', async () => {
    for (let size = 1; size <= 13; size++) {
      const path = await bundle(`full-${size}.pnlb`, size, [1, size])
      for (let seq = 0; seq < size; seq++) {
        const { proof, entry } = await proveFromBundle(path, seq)
        expect(proof.treeSize).toBe(size)
        expect(new TextDecoder().decode(entry)).toBe(`entry ${seq}`)
        expect(checkProofLocally(proof, seq, pin).size).toBe(size)
      }
    }
  })

  it('proves against the latest checkpoint only the entries it covers', async () => {
    const path = await bundle('tail.pnlb', 7, [5])
    expect(checkProofLocally((await proveFromBundle(path, 4)).proof, 4, pin).size).toBe(5)
    await expect(proveFromBundle(path, 5)).rejects.toThrow(
      "entry 5 comes after the bundle's latest signed checkpoint (size 5)",
    )
    await expect(proveFromBundle(path, 9)).rejects.toThrow(EntryNotCoveredError)
    await expect(proveFromBundle(await bundle('none.pnlb', 3, []), 0)).rejects.toThrow(
      'the bundle carries no signed checkpoint to prove entry 0 against',
    )
  })
})
