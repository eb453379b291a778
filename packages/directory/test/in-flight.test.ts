import { describe, expect, it } from 'vitest'
import { InFlight } from '../src/in-flight.ts'

describe('InFlight', () => {
  it('shares the work under way for a key, and starts it again once it has ended', async () => {
    const shared = new InFlight<number>()
    let runs = 0
    let finish: (n: number) => void = () => {}
    const work = () => {
      runs++
      return new Promise<number>((resolve) => {
        finish = resolve
      })
    }
    const joined = [shared.join('FR', work), shared.join('FR', work), shared.join('FR', work)]
    expect(runs).toBe(1)
    finish(7)
    expect(await Promise.all(joined)).toEqual([7, 7, 7])
    const again = shared.join('FR', work)
    finish(8)
    expect(await again).toBe(8)
    expect(shared.started).toBe(2)
  })

  it('lets a caller give up on its own signal while the others get the outcome', async () => {
    const shared = new InFlight<string>()
    let finish: (s: string) => void = () => {}
    const work = () =>
      new Promise<string>((resolve) => {
        finish = resolve
      })
    const giveUp = new AbortController()
    const impatient = shared.join('DE', work, giveUp.signal)
    const patient = shared.join('DE', work)
    giveUp.abort()
    expect(await impatient).toBeUndefined()
    finish('record')
    expect(await patient).toBe('record')
    // a caller whose signal has already ended starts nothing
    expect(await shared.join('IT', work, giveUp.signal)).toBeUndefined()
    expect(shared.started).toBe(1)
  })
})
