import { describe, expect, it } from 'vitest'
import { BoundedMemo } from '../src/bounded-memo.ts'

describe('BoundedMemo', () => {
  it('computes each key once while it is held', () => {
    const computed: string[] = []
    const memo = new BoundedMemo(
      (k: string) => {
        computed.push(k)
        return k.length
      },
      4,
      64,
    )
    expect(memo.get('abc')).toBe(3)
    expect(memo.get('abc')).toBe(3)
    expect(memo.get('')).toBe(0)
    expect(computed).toEqual(['abc', ''])
  })

  it('remembers an undefined answer as well as a defined one', () => {
    let calls = 0
    const memo = new BoundedMemo(
      () => {
        calls++
        return undefined
      },
      4,
      64,
    )
    memo.get('x')
    memo.get('x')
    expect(calls).toBe(1)
  })

  it('holds at most its capacity, forgetting the oldest answer first', () => {
    const computed: string[] = []
    const memo = new BoundedMemo(
      (k: string) => {
        computed.push(k)
        return k
      },
      3,
      64,
    )
    for (const k of ['a', 'b', 'c', 'd']) memo.get(k)
    expect(memo.size).toBe(3)
    memo.get('b')
    memo.get('a')
    expect(computed).toEqual(['a', 'b', 'c', 'd', 'a'])
    expect(memo.size).toBe(3)
  })

  it('answers keys longer than the limit without keeping them', () => {
    let calls = 0
    const memo = new BoundedMemo(
      (k: string) => {
        calls++
        return k.length
      },
      3,
      8,
    )
    expect(memo.get('x'.repeat(9))).toBe(9)
    expect(memo.get('x'.repeat(9))).toBe(9)
    expect(calls).toBe(2)
    expect(memo.size).toBe(0)
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedMemo(String, 0, 8)).toThrow(/capacity must be a positive integer/)
  })
})
