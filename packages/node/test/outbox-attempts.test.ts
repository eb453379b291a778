import { ExchangeError } from '@pocnet/protocol/reqresp'
import { describe, expect, it } from 'vitest'
import {
  ATTEMPT_RECORDS_KEPT,
  type AttemptRecord,
  attemptFailure,
  noteFailedAttempt,
} from '../src/outbox-attempts.ts'

describe('why a delivery attempt failed', () => {
  it('names the exchange failure and what lay under it, never a bare class name', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4001'), { name: 'Error' })
    const dial = new ExchangeError(
      'dial-failed',
      '/pocnet/deliver/1.0.0',
      new AggregateError([refused, refused], 'All dials failed'),
    )
    expect(attemptFailure(dial)).toBe('dial-failed: connect ECONNREFUSED 127.0.0.1:4001')
    expect(attemptFailure(new ExchangeError('deadline', '/pocnet/deliver/1.0.0'))).toBe('deadline')
    expect(attemptFailure(new Error(''))).toBe('Error')
    expect(
      attemptFailure(new Error('no valid directory record for JP in the cache, the DHT or from peers')),
    ).toBe('no valid directory record for JP in the cache, the DHT or from peers')
    expect(attemptFailure(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe(
      'deadline: no answer in time',
    )
    expect(attemptFailure(new Error('outer', { cause: new Error('inner') }))).toBe('outer (inner)')
  })

  it('keeps the error to one line of bounded length', () => {
    const text = attemptFailure(new Error(`line one\nline two ${'x'.repeat(1000)}`))
    expect(text).not.toContain('\n')
    expect(text.length).toBeLessThanOrEqual(300)
    expect(text.endsWith('…')).toBe(true)
  })

  it('remembers the latest attempts only', () => {
    const records: AttemptRecord[] = []
    for (let i = 0; i < ATTEMPT_RECORDS_KEPT + 5; i++) noteFailedAttempt(records, i, `e${i}`)
    expect(records).toHaveLength(ATTEMPT_RECORDS_KEPT)
    expect(records[0]).toEqual({ at: 5, error: 'e5' })
    expect(records.at(-1)).toEqual({ at: ATTEMPT_RECORDS_KEPT + 4, error: `e${ATTEMPT_RECORDS_KEPT + 4}` })
  })
})
