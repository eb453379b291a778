import { hash } from 'node:crypto'
import { HASH_LENGTH } from './constants.ts'

/*
 * RFC 9162 §2.1 Merkle tree math. Sizes and indexes are plain numbers (safe integers); shifts
 * are done with division because `>>` truncates to 32 bits.
 *
 * A "node" is a perfect subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L). Level 0
 * nodes are leaf hashes. Every range a proof needs starts at a multiple of a power of two at
 * least as large as the range, so it splits, left to right, into perfect subtrees of strictly
 * decreasing size; its hash is those subtrees folded from the right.
 */

export interface NodeRef {
  level: number
  index: number
}

const LEAF_PREFIX = new Uint8Array([0x00])
const CHILDREN_BUFFER = Buffer.alloc(1 + 2 * HASH_LENGTH)
CHILDREN_BUFFER[0] = 0x01

function sha256Once(data: Uint8Array): Uint8Array {
  const d = hash('sha256', data, 'buffer')
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256Once(new Uint8Array(0))

/** Leaf hash: SHA-256(0x00 || entry). */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  const buf = Buffer.allocUnsafe(1 + entry.length)
  buf.set(LEAF_PREFIX, 0)
  buf.set(entry, 1)
  return sha256Once(buf)
}

/** Interior node hash: SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  // one reused buffer: the hash is computed synchronously before anyone else can touch it
  CHILDREN_BUFFER.set(left, 1)
  CHILDREN_BUFFER.set(right, 1 + HASH_LENGTH)
  return sha256Once(CHILDREN_BUFFER)
}

/** The largest power of two strictly less than `n` (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}

/** The perfect subtrees, left to right, that make up leaves [start, end). */
export function rangeNodes(start: number, end: number): NodeRef[] {
  const nodes: NodeRef[] = []
  let position = start
  let width = 1
  while (width * 2 <= end - start) width *= 2
  for (let level = Math.log2(width); width >= 1; width /= 2, level--) {
    if (end - position >= width) {
      nodes.push({ level, index: position / width })
      position += width
    }
  }
  return nodes
}

/** Folds the hashes of one range's perfect subtrees (left to right) into the range's hash. */
export function foldRange(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT
  let acc = hashes[hashes.length - 1]!
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i]!, acc)
  return acc
}

/**
 * The ranges whose hashes make up the inclusion proof of leaf `index` in a tree of `size`
 * (RFC 9162 §2.1.3.1 PATH), in proof order (nearest the leaf first), each as its nodes.
 */
export function inclusionProofPlan(index: number, size: number): NodeRef[][] {
  if (!isSize(size) || !isSize(index) || index >= size)
    throw new RangeError(`leaf index ${index} must be below the tree size ${size}`)
  const ranges: Array<[number, number]> = []
  let start = 0
  let end = size
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start)
    if (index < start + k) {
      ranges.push([start + k, end])
      end = start + k
    } else {
      ranges.push([start, start + k])
      start += k
    }
  }
  return ranges.reverse().map(([s, e]) => rangeNodes(s, e))
}

/**
 * The ranges whose hashes make up the consistency proof from size `first` to size `second`
 * (RFC 9162 §2.1.4.1 SUBPROOF with b = true), in proof order, each as its nodes.
 */
export function consistencyProofPlan(first: number, second: number): NodeRef[][] {
  if (!isSize(first) || !isSize(second) || first < 1 || first > second)
    throw new RangeError(`consistency needs 0 < first (${first}) ≤ second (${second})`)
  const ranges: Array<[number, number]> = []
  let start = 0
  let end = second
  let wholeOldTreeKnown = true
  while (end !== first) {
    const k = largestPowerOfTwoBelow(end - start)
    if (first - start <= k) {
      ranges.push([start + k, end])
      end = start + k
    } else {
      ranges.push([start, start + k])
      start += k
      wholeOldTreeKnown = false
    }
  }
  if (!wholeOldTreeKnown) ranges.push([start, end])
  return ranges.reverse().map(([s, e]) => rangeNodes(s, e))
}

function allHashes(items: readonly Uint8Array[]): boolean {
  return items.every((h) => h instanceof Uint8Array && h.length === HASH_LENGTH)
}

function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * RFC 9162 §2.1.3.2: true only if `proof` shows `leafHash` at `index` in the tree of `size`
 * whose root is `root`. Malformed input of any kind is simply a failed proof.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false
  if (!allHashes([leafHash, root, ...proof])) return false
  let fn = index
  let sn = size - 1
  let r = leafHash
  for (const p of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = hashChildren(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equalHashes(r, root)
}

/**
 * RFC 9162 §2.1.4.2: true only if `proof` shows the tree of size `first` with root
 * `firstRoot` is a prefix of the tree of size `second` with root `secondRoot`. Equal sizes
 * need an empty proof and equal roots; a first size of 0 is refused (nothing to prove).
 */
export function verifyConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!isSize(first) || !isSize(second) || first < 1 || first > second) return false
  if (first === second) return proof.length === 0 && equalHashes(firstRoot, secondRoot)
  if (!allHashes([secondRoot])) return false
  const roots = consistencyProofRoots(first, second, proof, firstRoot)
  return roots !== undefined && equalHashes(roots.first, firstRoot) && equalHashes(roots.second, secondRoot)
}

/**
 * The roots of the trees of size `first` and `second` (0 < first < second) that `proof` implies,
 * by the walk of RFC 9162 §2.1.4.2, or undefined when the proof is malformed. When `first` is a
 * power of two its root is a node of the second tree the proof leaves out, so `firstRoot` is
 * taken as given and returned unchanged; otherwise the first root comes from the proof alone.
 */
export function consistencyProofRoots(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
): { first: Uint8Array; second: Uint8Array } | undefined {
  if (!isSize(first) || !isSize(second) || first < 1 || first >= second) return undefined
  if (proof.length === 0 || !allHashes([firstRoot, ...proof])) return undefined
  const path = Number.isInteger(Math.log2(first)) ? [firstRoot, ...proof] : [...proof]
  let fn = first - 1
  let sn = second - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr = path[0]!
  let sr = path[0]!
  for (const c of path.slice(1)) {
    if (sn === 0) return undefined
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = hashChildren(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 ? { first: fr, second: sr } : undefined
}

/**
 * The right edge of a growing tree: the hashes of its largest perfect subtrees, left to right.
 * Appending a leaf completes the subtrees it closes; `append` reports each so a store can keep
 * them for O(log n) proofs later.
 */
export class MerkleFrontier {
  #size: number
  readonly #stack: Uint8Array[]

  /** `hashes` are the frontier of a tree of `size` (as `rangeNodes(0, size)` lists them). */
  constructor(size = 0, hashes: Uint8Array[] = []) {
    if (rangeNodes(0, size).length !== hashes.length)
      throw new RangeError(`a frontier of size ${size} has ${rangeNodes(0, size).length} hashes`)
    this.#size = size
    this.#stack = [...hashes]
  }

  get size(): number {
    return this.#size
  }

  /** Adds a leaf hash; `onNode` sees every perfect subtree completed, the leaf itself first. */
  append(leafHash: Uint8Array, onNode?: (level: number, index: number, hash: Uint8Array) => void): void {
    let node = leafHash
    let index = this.#size
    let level = 0
    onNode?.(0, index, node)
    while (index % 2 === 1) {
      node = hashChildren(this.#stack.pop()!, node)
      index = (index - 1) / 2
      level++
      onNode?.(level, index, node)
    }
    this.#stack.push(node)
    this.#size++
  }

  root(): Uint8Array {
    return foldRange(this.#stack)
  }

  hashes(): Uint8Array[] {
    return [...this.#stack]
  }
}

/*
 * The verifier's hot loop hashes to latin1 strings (one character per byte): node:crypto hands
 * back a 32-character string about three times faster than a 32-byte Buffer, whose allocation
 * costs more than a short SHA-256 itself.
 */
const CHILDREN_SCRATCH = Buffer.alloc(1 + 2 * HASH_LENGTH)
CHILDREN_SCRATCH[0] = 0x01

/** SHA-256 of `input` (for a leaf, 0x00 ‖ entry) as a latin1 string. */
export function sha256Latin1(input: Uint8Array): string {
  return hash('sha256', input, 'binary') // 'binary' is latin1
}

/** Interior node hash SHA-256(0x01 ‖ left ‖ right) of latin1 hashes, as one. */
export function hashChildrenLatin1(left: string, right: string): string {
  CHILDREN_SCRATCH.write(left, 1, HASH_LENGTH, 'latin1')
  CHILDREN_SCRATCH.write(right, 1 + HASH_LENGTH, HASH_LENGTH, 'latin1')
  return hash('sha256', CHILDREN_SCRATCH, 'binary')
}

export function hashToLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

export function latin1ToHash(hash: string): Uint8Array {
  const b = Buffer.from(hash, 'latin1')
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/** foldRange over latin1 hashes. */
export function foldRangeLatin1(hashes: readonly string[]): string {
  if (hashes.length === 0) return EMPTY_ROOT_LATIN1
  let acc = hashes[hashes.length - 1]!
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildrenLatin1(hashes[i]!, acc)
  return acc
}

export const EMPTY_ROOT_LATIN1 = hashToLatin1(EMPTY_ROOT)

/** MerkleFrontier over latin1 hashes, for the verifier (which stores no subtree hashes). */
export class Latin1Frontier {
  #size = 0
  readonly #stack: string[] = []

  get size(): number {
    return this.#size
  }

  append(leafHash: string): void {
    let node = leafHash
    for (let index = this.#size; index % 2 === 1; index = (index - 1) / 2)
      node = hashChildrenLatin1(this.#stack.pop()!, node)
    this.#stack.push(node)
    this.#size++
  }

  root(): string {
    return foldRangeLatin1(this.#stack)
  }

  hashes(): string[] {
    return [...this.#stack]
  }
}
