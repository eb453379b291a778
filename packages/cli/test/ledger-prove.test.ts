import { createHash } from 'node:crypto'
import { NodeIdentity, toHex } from '@pocnet/crypto'
import { checkpointOrigin, hashLeaf, type ProofView, signCheckpoint } from '@pocnet/ledger'
import { describe, expect, it } from 'vitest'
import { proofVerdict } from '../src/commands/ledger-prove.ts'

/*
 * `pocnet ledger prove` checks what the daemon sent against the roster key. Only the absence of
 * a roster key leaves it unchecked; anything wrong with what the daemon sent is a failure (and a
 * non-zero exit), not "not checked".
 */
describe('ledger prove checks the daemon proof locally', () => {
  const node = NodeIdentity.generate()
  const other = NodeIdentity.generate()
  const origin = checkpointOrigin('test-net', 'FR')
  const leaves = [0, 1, 2].map((i) => hashLeaf(new Uint8Array([i])))
  // RFC 9162: the root of 3 leaves is node(node(l0, l1), l2)
  const node2 = (l: Uint8Array, r: Uint8Array) =>
    new Uint8Array(
      createHash('sha256')
        .update(new Uint8Array([1]))
        .update(l)
        .update(r)
        .digest(),
    )
  const root = node2(node2(leaves[0]!, leaves[1]!), leaves[2]!)
  const signed = (by: NodeIdentity, size = 3) =>
    signCheckpoint({ origin, size, root }, by.signer, by.signingPublicKey).note
  // the inclusion proof of leaf 1 in a tree of 3: leaf 0, then leaf 2
  const proof: ProofView = {
    seq: 1,
    treeSize: 3,
    leafHash: toHex(leaves[1]!),
    proof: [toHex(leaves[0]!), toHex(leaves[2]!)],
    checkpoint: signed(node),
  }
  const key = { publicKey: node.signingPublicKey, origin }

  it('is ok for a right proof, and not checked without a roster key', () => {
    expect(proofVerdict(proof, 1, key)).toBe('ok')
    expect(proofVerdict(proof, 1, undefined)).toMatch(/^not checked/)
  })

  it('fails a checkpoint not signed by the roster key, of another log or size, or a proof of another entry', () => {
    expect(proofVerdict({ ...proof, checkpoint: signed(other) }, 1, key)).toMatch(
      /^FAILED: checkpoint: no signature by the key/,
    )
    expect(proofVerdict({ ...proof, checkpoint: signed(node, 4) }, 1, key)).toMatch(
      /^FAILED: checkpoint size 4/,
    )
    expect(proofVerdict(proof, 2, key)).toMatch(/^FAILED: the proof is of entry 1, not 2/)
    // signed by the roster key, but for another log (another network's origin)
    expect(proofVerdict(proof, 1, { ...key, origin: checkpointOrigin('other-net', 'FR') })).toMatch(
      /^FAILED: the checkpoint is of the log "pocnet.invalid\/test-net\/FR", not "pocnet.invalid\/other-net\/FR"/,
    )
    expect(proofVerdict({ ...proof, proof: ['zz'] }, 1, key)).toMatch(/^FAILED/)
    expect(proofVerdict({ ...proof, proof: [toHex(leaves[2]!), toHex(leaves[0]!)] }, 1, key)).toMatch(
      /^FAILED: the proof does not lead/,
    )
  })
})
