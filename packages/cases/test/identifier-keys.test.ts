import { describe, expect, it } from 'vitest'
import {
  type CaseRequest,
  identifierKey,
  identifiersOf,
  normalIp,
  referencesOf,
  requestKeys,
  searchKeys,
  validateRequest,
} from '../src/index.ts'
import { clone, EXAMPLES } from './fixtures/examples.ts'

function valid(form: unknown): CaseRequest {
  const v = validateRequest(form)
  if (!v.ok) throw new Error(JSON.stringify(v.problems))
  return v.value
}

describe('identifier keys: the same identifier written differently is one key', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:10', '2001:db8::10'],
    ['2001:db8::0:10', '2001:db8::10'],
    ['2001:0db8:0000::0010', '2001:db8::10'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['192.0.2.1', '192.0.2.1'],
  ])('reads the IP address %s as %s', (written, normal) => {
    expect(normalIp(written)).toBe(normal)
    expect(identifierKey({ type: 'ip', address: written, timestamp: '2026-11-28T10:00:00Z' })).toBe(
      `ip:${normal}`,
    )
  })

  it('is not an IP address for text that is not one', () => {
    expect(normalIp('192.0.2.300')).toBeUndefined()
    expect(normalIp('example.org')).toBeUndefined()
  })

  it.each([
    [
      { type: 'email', address: 'PayMe@Mail.Example.FR' },
      { type: 'email', address: 'payme@mail.example.fr' },
    ],
    [
      { type: 'domain', domain: 'Example.ORG.' },
      { type: 'domain', domain: 'example.org' },
    ],
    [
      { type: 'url', url: 'HTTPS://Example.org:443/Path?q=1' },
      { type: 'url', url: 'https://example.org/Path?q=1' },
    ],
    [
      { type: 'phone', number: '+36 (1) 234-5678' },
      { type: 'phone', number: '+3612345678' },
    ],
    [
      { type: 'account', service: 'Example Chat', username: '@Alice' },
      { type: 'account', service: 'example chat', username: 'alice' },
    ],
    [
      { type: 'other', description: 'wallet', value: ' BC1Q  XYZ ' },
      { type: 'other', description: 'another', value: 'bc1q xyz' },
    ],
  ] as const)('gives %j and %j the same key', (a, b) => {
    expect(identifierKey(a)).toBeDefined()
    expect(identifierKey(a)).toBe(identifierKey(b))
  })

  it('keeps the same user name on two services apart, and an URL path in its case', () => {
    expect(identifierKey({ type: 'account', service: 'A', username: 'alice' })).not.toBe(
      identifierKey({ type: 'account', service: 'B', username: 'alice' }),
    )
    expect(identifierKey({ type: 'url', url: 'https://example.org/A' })).not.toBe(
      identifierKey({ type: 'url', url: 'https://example.org/a' }),
    )
  })
})

describe('the keys of a request', () => {
  it('finds every identifier wherever the form holds them, and the requester references', () => {
    const request = valid(EXAMPLES.preservation)
    expect(identifiersOf(request).map((i) => i.path)).toEqual([
      'data.identifiers[0]',
      'data.identifiers[1]',
      'data.identifiers[2]',
    ])
    expect(referencesOf(request)).toEqual([
      { reference: 'HU-NNI-2026-0412', path: 'caseReference' },
      { reference: 'B-123/2026', path: 'investigatingAuthority.reference' },
    ])
    const suspect = valid(EXAMPLES['locate-suspect'])
    expect(identifiersOf(suspect).every((i) => i.path.startsWith('suspect.identifiers['))).toBe(true)
  })

  it('indexes related-case references, and only identifiers are worth a repeat warning', () => {
    const form = clone(EXAMPLES.preservation)
    form.relatedCases = [{ relation: 'related-to', reference: 'FR-OCL-77' }]
    const keys = requestKeys(valid(form))
    expect(keys).toContainEqual({
      key: 'ref:fr-ocl-77',
      path: 'relatedCases[0].reference',
      repeatable: false,
    })
    expect(keys).toContainEqual({ key: 'ip:2001:db8::7', path: 'data.identifiers[2]', repeatable: true })
    expect(keys.filter((k) => k.repeatable).every((k) => !k.key.startsWith('ref:'))).toBe(true)
  })

  it('searches text as a reference and as every identifier it reads as, or as one kind', () => {
    expect(searchKeys('2001:DB8::7')).toContain('ip:2001:db8::7')
    expect(searchKeys('PayMe@mail.example.FR')).toContain('email:payme@mail.example.fr')
    expect(searchKeys('hu-nni-2026-0412 ')).toContain('ref:hu-nni-2026-0412')
    expect(searchKeys('Example.org')).toContain('domain:example.org')
    expect(searchKeys('@alice')).toContain('username:alice')
    expect(searchKeys('example.org', 'reference')).toEqual(['ref:example.org'])
  })
})
