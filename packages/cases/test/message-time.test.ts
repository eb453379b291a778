import { DEFAULT_MAX_FUTURE_SKEW_MS } from '@pocnet/protocol/constants'
import { describe, expect, it } from 'vitest'
import { messageTimeProblem } from '../src/index.ts'

const SIGNED = Date.parse('2026-11-28T10:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

describe("messageTimeProblem: a case message's time within the protocol's clock skew of its signed time", () => {
  it.each([
    ['the signed time itself', 0],
    ['the skew before it', -DEFAULT_MAX_FUTURE_SKEW_MS],
    ['the skew after it', DEFAULT_MAX_FUTURE_SKEW_MS],
  ])('takes %s', (_, delta) => {
    expect(messageTimeProblem('at', iso(SIGNED + delta), SIGNED)).toBeUndefined()
  })

  it.each([
    ['before', -DEFAULT_MAX_FUTURE_SKEW_MS - 1, /^2026-11-28T09:54:59\.999Z is 6 min before/],
    ['after', DEFAULT_MAX_FUTURE_SKEW_MS + 1, /^2026-11-28T10:05:00\.001Z is 6 min after/],
  ])('refuses a time just past the skew %s it, naming the field and the rule', (_, delta, words) => {
    const problem = messageTimeProblem('at', iso(SIGNED + delta), SIGNED)
    expect(problem).toEqual({ path: 'at', rule: 'consistency', message: expect.stringMatching(words) })
    expect(problem?.message).toMatch(
      /signed with \(2026-11-28T10:00:00\.000Z\).* at most 5 min, the protocol's clock skew$/,
    )
  })

  it('names the field it is given, and refuses what is no time', () => {
    expect(messageTimeProblem('openedAt', 'soon', SIGNED)).toEqual({
      path: 'openedAt',
      rule: 'format',
      message: "'soon' is not a time",
    })
  })
})
