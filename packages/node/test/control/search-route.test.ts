import { describe, expect, it } from 'vitest'
import { parseSearch } from '../../src/control/routes/search.ts'

describe('GET /search checks its query', () => {
  it('takes the text, trimmed, and a kind to narrow it to', () => {
    expect(parseSearch(new URLSearchParams({ q: ' 2001:db8::7 ' }))).toEqual({
      q: '2001:db8::7',
      kind: undefined,
    })
    expect(parseSearch(new URLSearchParams({ q: 'x', type: 'reference' }))).toEqual({
      q: 'x',
      kind: 'reference',
    })
  })

  it.each([
    [{}, 'q: must be 1-2048 characters of text'],
    [{ q: '   ' }, 'q: must be 1-2048 characters of text'],
    [{ q: 'x'.repeat(2049) }, 'q: must be 1-2048 characters of text'],
    [
      { q: 'x', type: 'passport' },
      'type: must be one of reference, ip, email, account, url, domain, phone, other',
    ],
  ])('refuses %j naming the field', (query, message) => {
    expect(() => parseSearch(new URLSearchParams(query as Record<string, string>))).toThrow(message)
  })
})
