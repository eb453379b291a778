import { describe, expect, it } from 'vitest'
import { measureLatencies, measureRate, median, percentile, spreadOf } from '../harness.ts'

describe('bench harness statistics', () => {
  it('takes the median of odd and even sample counts', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(() => median([])).toThrow(RangeError)
  })

  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(samples, 50)).toBe(50)
    expect(percentile(samples, 95)).toBe(95)
    expect(percentile(samples, 100)).toBe(100)
    expect(percentile([7], 99)).toBe(7)
    expect(() => percentile(samples, 101)).toThrow(RangeError)
  })

  it('reports spread relative to the median', () => {
    expect(spreadOf([90, 100, 110])).toBeCloseTo(0.2)
    expect(spreadOf([5, 5, 5])).toBe(0)
  })

  it('counts every call it makes when measuring a rate', async () => {
    let calls = 0
    const m = await measureRate(() => calls++, { warmupMs: 5, runs: 3, runMs: 10 })
    expect(m.samples).toHaveLength(3)
    expect(m.median).toBeGreaterThan(0)
    expect(calls).toBeGreaterThan(3)
  })

  it('returns one latency per call', async () => {
    let calls = 0
    const l = await measureLatencies(async () => calls++, 7)
    expect(l).toHaveLength(7)
    expect(calls).toBe(7)
    expect(l.every((x) => x >= 0)).toBe(true)
  })
})
