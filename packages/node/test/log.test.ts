import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/index.ts'
import { LogThrottle } from '../src/log.ts'

describe('structured logger', () => {
  it('writes one JSON object per line with level, component and event', () => {
    const lines: string[] = []
    const log = createLogger({ write: (l) => lines.push(l) }).child('delivery')
    log.info('delivery.accepted', { messageId: 'ab12', bytes: 10 })
    expect(lines).toHaveLength(1)
    const record = JSON.parse(lines[0]!)
    expect(record).toMatchObject({
      level: 'info',
      component: 'node.delivery',
      event: 'delivery.accepted',
      bytes: 10,
    })
    expect(Date.parse(record.time)).not.toBeNaN()
  })

  it('drops records below the level and redacts fields named like secrets', () => {
    const lines: string[] = []
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) })
    log.info('ignored')
    log.warn('x', { passphrase: 'hunter2', token: 'pn_abc', payloadContent: 'facts', peer: 'p' })
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toMatch(/hunter2|pn_abc|facts/)
    expect(JSON.parse(lines[0]!).peer).toBe('p')
  })
})

describe('LogThrottle', () => {
  it('counts every occurrence, and says a line is due at most once per key per period', () => {
    let now = 1_000_000
    const throttle = new LogThrottle({ everyMs: 10_000, now: () => now })
    expect(throttle.hit('peer-a')).toBe(1)
    expect(throttle.hit('peer-a')).toBeUndefined()
    expect(throttle.hit('peer-b')).toBe(1)
    now += 9_999
    expect(throttle.hit('peer-a')).toBeUndefined()
    now += 1
    expect(throttle.hit('peer-a')).toBe(4)
    expect(throttle.count('peer-a')).toBe(4)
    expect(throttle.count('peer-c')).toBe(0)
  })
})
