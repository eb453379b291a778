import { NodeIdentity, toHex } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { checkpointOrigin, signCheckpoint } from '../src/checkpoint.ts'
import { ProofError, type ProofField } from '../src/errors.ts'
import { hashChildren, hashLeaf } from '../src/merkle.ts'
import { checkProofLocally, type ProofView } from '../src/proof-check.ts'

/*
 * checkProofLocally is what a client trusts instead of the node that served the proof: anything
 * changed in what was served, or a proof of another log, must fail and say which part is wrong.
 */
describe('checkProofLocally', () => {
  const node = NodeIdentity.generate()
  const other = NodeIdentity.generate()
  const origin = checkpointOrigin('test-net', 'FR')
  const pin = { publicKey: node.signingPublicKey, origin }
  const leaves = [0, 1, 2, 3, 4].map((i) => hashLeaf(new Uint8Array([i])))
  // RFC 9162: the root of 5 leaves is node(node(node(l0, l1), node(l2, l3)), l4)
  const left = hashChildren(hashChildren(leaves[0]!, leaves[1]!), hashChildren(leaves[2]!, leaves[3]!))
  const root = hashChildren(left, leaves[4]!)
  const note = (by: NodeIdentity, cp: { origin?: string; size?: number; root?: Uint8Array } = {}) =>
    signCheckpoint({ origin, size: 5, root, ...cp }, by.signer, by.signingPublicKey).note
  // the inclusion proof of leaf 2 in a tree of 5: leaf 3, node(l0, l1), leaf 4
  const proof: ProofView = {
    seq: 2,
    treeSize: 5,
    leafHash: toHex(leaves[2]!),
    proof: [toHex(leaves[3]!), toHex(hashChildren(leaves[0]!, leaves[1]!)), toHex(leaves[4]!)],
    checkpoint: note(node),
  }

  /** The ProofError `check` throws, checked to name `field` and say why in `message`. */
  const fails = (check: () => unknown, field: ProofField, message: RegExp) => {
    let thrown: unknown
    try {
      check()
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(ProofError)
    const err = thrown as ProofError
    expect(err.code).toBe('ERR_PROOF_INVALID')
    expect(err.field).toBe(field)
    expect(err.message).toMatch(message)
    expect(err.hint).toMatch(/roster/)
  }

  it('passes a right proof and returns the checkpoint it leads to', () => {
    const cp = checkProofLocally(proof, 2, pin)
    expect(cp.size).toBe(5)
    expect(toHex(cp.root)).toBe(toHex(root))
    expect(cp.origin).toBe(origin)
  })

  it('fails a changed leaf', () => {
    fails(
      () => checkProofLocally({ ...proof, leafHash: toHex(leaves[1]!) }, 2, pin),
      'proof',
      /^the proof does not lead to the checkpoint root$/,
    )
    fails(
      () => checkProofLocally({ ...proof, leafHash: 'zz' }, 2, pin),
      'leafHash',
      /leaf hash is not a 32-byte/,
    )
  })

  it('fails a changed proof hash', () => {
    const changed = [...proof.proof]
    changed[1] = toHex(leaves[0]!)
    fails(() => checkProofLocally({ ...proof, proof: changed }, 2, pin), 'proof', /does not lead/)
    fails(() => checkProofLocally({ ...proof, proof: ['ab'] }, 2, pin), 'proof', /hash 0 is not a 32-byte/)
  })

  it('fails a checkpoint of another root, validly signed', () => {
    const otherRoot = hashChildren(left, leaves[3]!)
    fails(
      () => checkProofLocally({ ...proof, checkpoint: note(node, { root: otherRoot }) }, 2, pin),
      'proof',
      /does not lead to the checkpoint root/,
    )
  })

  it('fails a proof of another entry than the one asked, or with a changed index', () => {
    fails(() => checkProofLocally(proof, 3, pin), 'seq', /^the proof is of entry 2, not 3$/)
    // the index changed both in the answer and in the question: the path no longer leads to the root
    fails(() => checkProofLocally({ ...proof, seq: 3 }, 3, pin), 'proof', /does not lead/)
  })

  it('fails a changed tree size', () => {
    fails(
      () => checkProofLocally({ ...proof, treeSize: 6 }, 2, pin),
      'treeSize',
      /^checkpoint size 5 is not the proof's 6$/,
    )
    // a checkpoint signed for the other size too: the path is of a tree of 5, one hash too long for 4
    fails(
      () => checkProofLocally({ ...proof, treeSize: 4, checkpoint: note(node, { size: 4 }) }, 2, pin),
      'proof',
      /does not lead/,
    )
  })

  it('fails a checkpoint of another log, signed by the same key', () => {
    const otherOrigin = checkpointOrigin('other-net', 'FR')
    fails(
      () => checkProofLocally({ ...proof, checkpoint: note(node, { origin: otherOrigin }) }, 2, pin),
      'origin',
      /^the checkpoint is of the log "pocnet.invalid\/other-net\/FR", not "pocnet.invalid\/test-net\/FR"$/,
    )
  })

  it('fails a checkpoint signed by another key', () => {
    fails(
      () => checkProofLocally({ ...proof, checkpoint: note(other) }, 2, pin),
      'checkpoint',
      /^checkpoint: no signature by the key/,
    )
    fails(
      () => checkProofLocally(proof, 2, { ...pin, publicKey: other.signingPublicKey }),
      'checkpoint',
      /^checkpoint: no signature by the key/,
    )
  })
})
