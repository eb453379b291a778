import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { SealQueue } from '../src/seal-queue.ts'

describe('the seal queue', () => {
  it('runs a lone job at once and hands back what it returns', async () => {
    const queue = new SealQueue(4)
    let ran = false
    const result = queue.run(() => {
      ran = true
      return 7
    })
    expect(ran).toBe(true)
    expect(await result).toBe(7)
  })

  it('runs at most perTurn jobs before the event loop gets a turn, in order', async () => {
    const queue = new SealQueue(3)
    const order: number[] = []
    const results = Array.from({ length: 8 }, (_, i) => queue.run(() => order.push(i)))
    expect(order).toEqual([0, 1, 2])
    await nextTurn()
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
    await Promise.all(results)
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })

  it('rejects the caller of a job that throws and goes on with the rest', async () => {
    const queue = new SealQueue(1)
    const failing = queue.run(() => {
      throw new RangeError('too large')
    })
    const next = queue.run(() => 'sealed')
    await expect(failing).rejects.toThrow('too large')
    expect(await next).toBe('sealed')
  })

  it('refuses a perTurn that is not a whole number of at least 1', () => {
    expect(() => new SealQueue(0)).toThrow(/perTurn must be a whole number ≥ 1/)
  })
})
