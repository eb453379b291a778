import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  consistencyProofPlan,
  EMPTY_ROOT,
  foldRange,
  hashChildren,
  hashLeaf,
  inclusionProofPlan,
  MerkleFrontier,
  type NodeRef,
  rangeNodes,
  verifyConsistency,
  verifyInclusion,
} from '../src/merkle.ts'
import { vectorsDir } from './fixtures/paths.ts'

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

/** MTH by the RFC's recursive definition, independent of the code under test. */
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT
  if (leaves.length === 1) return leaves[0]!
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return hashChildren(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)))
}

/** A tree of `n` leaves with every perfect subtree kept, as the ledger keeps them in LevelDB. */
function buildTree(n: number): { leaves: Uint8Array[]; node: (ref: NodeRef) => Uint8Array } {
  const nodes = new Map<string, Uint8Array>()
  const frontier = new MerkleFrontier()
  const leaves: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const leaf = hashLeaf(new TextEncoder().encode(`entry ${i}`))
    leaves.push(leaf)
    frontier.append(leaf, (level, index, hash) => nodes.set(`${level}/${index}`, hash))
  }
  return {
    leaves,
    node: (ref) => {
      const h = nodes.get(`${ref.level}/${ref.index}`)
      if (h === undefined) throw new Error(`node ${ref.level}/${ref.index} was never completed`)
      return h
    },
  }
}

function resolve(plan: NodeRef[][], node: (ref: NodeRef) => Uint8Array): Uint8Array[] {
  return plan.map((range) => foldRange(range.map(node)))
}

const trees = new Map<number, ReturnType<typeof buildTree>>()
function tree(n: number): ReturnType<typeof buildTree> {
  let t = trees.get(n)
  if (t === undefined) {
    t = buildTree(n)
    trees.set(n, t)
  }
  return t
}

function flipBit(proof: Uint8Array[], component: number, bit: number): Uint8Array[] {
  return proof.map((p, i) => {
    if (i !== component) return p
    const copy = p.slice()
    copy[bit >> 3]! ^= 1 << (bit & 7)
    return copy
  })
}

describe('RFC 9162 / transparency-dev test vectors', () => {
  // the vectors are part of the repository: their absence is a failure, never a skip
  it('has the vectors in the repository', () => {
    expect(existsSync(vectorsDir), `no test vectors at ${vectorsDir}: restore them with git`).toBe(true)
  })
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.json')) files.push(path)
    }
  }
  if (existsSync(vectorsDir)) walk(vectorsDir)

  it('finds both kinds of vectors', () => {
    expect(files.filter((f) => f.includes('/inclusion/')).length).toBeGreaterThan(50)
    expect(files.filter((f) => f.includes('/consistency/')).length).toBeGreaterThan(50)
  })

  for (const file of files) {
    const name = relative(vectorsDir, file)
    const v = JSON.parse(readFileSync(file, 'utf8'))
    const proof = ((v.proof ?? []) as string[]).map(b64)
    it(`${name}: ${v.desc} → ${v.wantErr ? 'rejected' : 'accepted'}`, () => {
      const ok = name.startsWith('inclusion/')
        ? verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proof, b64(v.root))
        : verifyConsistency(v.size1, v.size2, proof, b64(v.root1), b64(v.root2))
      expect(ok).toBe(!v.wantErr)
    })
  }
})

describe('tree hashing', () => {
  it('matches the RFC 9162 definitions for the empty tree, a leaf and two leaves', () => {
    expect(Buffer.from(EMPTY_ROOT).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    // the vectors' leaf "bjQLnP..." is the hash of the empty entry
    expect(Buffer.from(hashLeaf(new Uint8Array(0))).toString('base64')).toBe(
      'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=',
    )
    const a = hashLeaf(new Uint8Array([1]))
    const b = hashLeaf(new Uint8Array([2]))
    const expected = new Uint8Array(65)
    expected[0] = 1
    expected.set(a, 1)
    expected.set(b, 33)
    expect(hashChildren(a, b)).toEqual(new Uint8Array(createHash('sha256').update(expected).digest()))
  })

  it('the frontier root equals the recursive MTH for every size up to 130', () => {
    const frontier = new MerkleFrontier()
    const leaves: Uint8Array[] = []
    expect(frontier.root()).toEqual(EMPTY_ROOT)
    for (let i = 0; i < 130; i++) {
      const leaf = hashLeaf(new Uint8Array([i, i >> 8]))
      leaves.push(leaf)
      frontier.append(leaf)
      expect(frontier.root()).toEqual(referenceRoot(leaves))
      // a frontier rebuilt from its hashes continues the same tree
      expect(new MerkleFrontier(frontier.size, frontier.hashes()).root()).toEqual(frontier.root())
    }
  })

  it('rangeNodes splits an aligned range into decreasing perfect subtrees', () => {
    expect(rangeNodes(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ])
    expect(rangeNodes(8, 11)).toEqual([
      { level: 1, index: 4 },
      { level: 0, index: 10 },
    ])
    expect(rangeNodes(5, 5)).toEqual([])
  })

  it('a frontier refuses hashes that do not fit its size', () => {
    expect(() => new MerkleFrontier(3, [EMPTY_ROOT])).toThrow(RangeError)
  })
})

describe('proofs for every 1 ≤ m ≤ n ≤ 64', () => {
  const pairs: Array<[number, number]> = []
  for (let n = 1; n <= 64; n++) for (let m = 1; m <= n; m++) pairs.push([m, n])

  it('every inclusion proof verifies and has at most ⌈log2 n⌉ components', () => {
    for (const [m, n] of pairs) {
      const t = tree(n)
      const root = referenceRoot(t.leaves)
      const proof = resolve(inclusionProofPlan(m - 1, n), t.node)
      expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)))
      expect(verifyInclusion(t.leaves[m - 1]!, m - 1, n, proof, root)).toBe(true)
    }
  })

  it('every consistency proof verifies', () => {
    for (const [m, n] of pairs) {
      const t = tree(n)
      const proof = m === n ? [] : resolve(consistencyProofPlan(m, n), t.node)
      const ok = verifyConsistency(m, n, proof, referenceRoot(t.leaves.slice(0, m)), referenceRoot(t.leaves))
      expect(ok, `consistency ${m} → ${n}`).toBe(true)
    }
  })

  it('every structural mutation of an inclusion proof fails', () => {
    const garbage = new Uint8Array(32).fill(7)
    for (const [m, n] of pairs) {
      const t = tree(n)
      const root = referenceRoot(t.leaves)
      const i = m - 1
      const leaf = t.leaves[i]!
      const proof = resolve(inclusionProofPlan(i, n), t.node)
      const fails = (l: Uint8Array, idx: number, size: number, p: Uint8Array[], r: Uint8Array): void => {
        expect(verifyInclusion(l, idx, size, p, r), `inclusion ${i} in ${n}`).toBe(false)
      }
      fails(hashLeaf(new Uint8Array([9, 9, 9])), i, n, proof, root)
      fails(leaf, i, n, proof, hashLeaf(new Uint8Array([1, 2, 3])))
      if (n > 1) {
        fails(leaf, i + 1, n, proof, root)
        if (i > 0) fails(leaf, i - 1, n, proof, root)
        fails(leaf, i, n * 2, proof, root)
        if (Math.floor(n / 2) !== n) fails(leaf, i, Math.floor(n / 2), proof, root)
        fails(leaf, i, n, proof.slice(1), root)
        fails(leaf, i, n, proof.slice(0, -1), root)
      }
      fails(leaf, i, n, [...proof, garbage], root)
      fails(leaf, i, n, [garbage, ...proof], root)
      for (let c = 0; c <= proof.length; c++) fails(leaf, i, n, proof.toSpliced(c, 0, garbage), root)
    }
  })

  it('every structural mutation of a consistency proof fails', () => {
    const garbage = new Uint8Array(32).fill(7)
    for (const [m, n] of pairs) {
      if (m === n) continue
      const t = tree(n)
      const r1 = referenceRoot(t.leaves.slice(0, m))
      const r2 = referenceRoot(t.leaves)
      const proof = resolve(consistencyProofPlan(m, n), t.node)
      const fails = (a: number, b: number, p: Uint8Array[], x: Uint8Array, y: Uint8Array): void => {
        expect(verifyConsistency(a, b, p, x, y), `consistency ${m} → ${n}`).toBe(false)
      }
      fails(m, n, proof, r2, r1)
      fails(m, n, proof, garbage, r2)
      fails(m, n, proof, r1, garbage)
      fails(n, m, proof, r2, r1)
      fails(m, n * 2, proof, r1, r2)
      if (m > 1) fails(m - 1, n, proof, r1, r2)
      if (m + 1 < n) fails(m + 1, n, proof, r1, r2)
      fails(m, n, [], r1, r2)
      fails(m, n, proof.slice(1), r1, r2)
      fails(m, n, proof.slice(0, -1), r1, r2)
      fails(m, n, [...proof, garbage], r1, r2)
      fails(m, n, [garbage, ...proof], r1, r2)
      fails(m, n, [...proof, r1], r1, r2)
      for (let c = 0; c <= proof.length; c++) fails(m, n, proof.toSpliced(c, 0, garbage), r1, r2)
    }
  })

  it('every single bit flip of any proof fails (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 64 })
          .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        ([m, n], componentSeed, bit) => {
          const t = tree(n)
          const inclusion = resolve(inclusionProofPlan(m - 1, n), t.node)
          if (inclusion.length > 0) {
            const flipped = flipBit(inclusion, componentSeed % inclusion.length, bit)
            expect(verifyInclusion(t.leaves[m - 1]!, m - 1, n, flipped, referenceRoot(t.leaves))).toBe(false)
          }
          if (m < n) {
            const consistency = resolve(consistencyProofPlan(m, n), t.node)
            const flipped = flipBit(consistency, componentSeed % consistency.length, bit)
            const r1 = referenceRoot(t.leaves.slice(0, m))
            expect(verifyConsistency(m, n, flipped, r1, referenceRoot(t.leaves))).toBe(false)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('plans refuse impossible sizes', () => {
    expect(() => inclusionProofPlan(5, 5)).toThrow(RangeError)
    expect(() => consistencyProofPlan(0, 5)).toThrow(RangeError)
    expect(() => consistencyProofPlan(6, 5)).toThrow(RangeError)
  })
})
