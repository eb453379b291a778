import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { REQUEST_TYPES, type RequestType, validateRequest } from '../src/index.ts'
import { clone, EXAMPLES } from './fixtures/examples.ts'

type Json = Record<string, unknown>
type Key = string | number

function parsePath(path: string): Key[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1]! : Number(m[2])))
}

function setAt(root: Json, path: string, value: unknown): Json {
  const copy = clone(root)
  const keys = parsePath(path)
  let node: Record<Key, unknown> = copy
  for (const key of keys.slice(0, -1)) node = node[key] as Record<Key, unknown>
  const last = keys.at(-1)!
  if (value === undefined) delete node[last]
  else node[last] = value
  return copy
}

/** Every path in a value: groups, lists and leaves. */
function paths(value: unknown, base = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [`${base}[${i}]`, ...paths(v, `${base}[${i}]`)])
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => {
      const p = base === '' ? k : `${base}.${k}`
      return [p, ...paths(v, p)]
    })
  }
  return []
}

function valueAt(root: Json, path: string): unknown {
  return parsePath(path).reduce<unknown>((node, key) => (node as Record<Key, unknown>)[key], root)
}

function wrongTypeFor(value: unknown): unknown {
  if (typeof value === 'string') return 42
  if (typeof value === 'number') return 'forty-two'
  if (typeof value === 'boolean') return 'yes'
  return 'text instead of a group'
}

const COMMON_REQUIRED = [
  'schema',
  'issuedAt',
  'caseReference',
  'urgency',
  'language',
  'requestingAuthority',
  'requestingAuthority.name',
  'requestingAuthority.officer',
  'requestingAuthority.officer.name',
  'requestingAuthority.phones',
  'requestingAuthority.email',
  'requestingAuthority.officeHours',
  'requestingAuthority.timeZone',
  'requestingAuthority.preferredChannel',
]

const REQUIRED: Record<RequestType, string[]> = {
  preservation: [
    'requestKind',
    'offence',
    'offence.description',
    'facts',
    'data',
    'data.description',
    'data.relationToOffence',
    'data.identifiers',
    'data.identifiers[0].type',
    'data.identifiers[0].address',
    'data.identifiers[0].timestamp',
    'custodian',
    'custodian.provider',
    'necessity',
    'mlaIntent',
    'mlaIntent.intendsToSubmit',
  ],
  'traffic-data-disclosure': [
    'preservationReference',
    'offence',
    'facts',
    'identifiers',
    'identifiers[0].timestamp',
  ],
  'emergency-disclosure': [
    'underSecondProtocol',
    'providers',
    'providers[0].name',
    'providers[0].address',
    'offence',
    'offence.legalProvisions',
    'offence.penalties',
    'emergency',
    'emergency.facts',
    'emergency.dataRelation',
    'data',
    'data.description',
  ],
  'technical-advice': ['topic', 'question'],
  'evidence-collection': ['offence', 'facts', 'evidence', 'evidence.description'],
  'legal-information': ['topic', 'question'],
  'locate-suspect': ['offence', 'facts', 'suspect'],
  'emergency-assistance': [
    'offence',
    'offence.legalProvisions',
    'offence.penalties',
    'facts',
    'emergency',
    'emergency.facts',
    'emergency.assistanceRelation',
    'assistance',
    'assistance.description',
    'centralAuthorityCopy',
    'centralAuthorityCopy.authority',
  ],
  'spontaneous-information': [
    'offence',
    'offence.description',
    'information',
    'information.summary',
    'conditions.confidential',
  ],
}

function problemPaths(input: unknown): string[] {
  const result = validateRequest(input)
  return result.ok ? [] : result.problems.map((p) => p.path)
}

describe('validateRequest', () => {
  for (const type of REQUEST_TYPES) {
    describe(type, () => {
      const example = EXAMPLES[type]

      it('accepts the complete example', () => {
        const result = validateRequest(example)
        expect(result.ok ? [] : result.problems).toEqual([])
      })

      it.each([...COMMON_REQUIRED, ...REQUIRED[type]])('names %s when it is removed', (path) => {
        expect(problemPaths(setAt(example, path, undefined))).toContain(path)
      })

      it.each(paths(example))('names %s when it has the wrong type', (path) => {
        expect(problemPaths(setAt(example, path, wrongTypeFor(valueAt(example, path))))).toContain(path)
      })

      it('names a misspelt field instead of dropping it', () => {
        const result = validateRequest({ ...example, caseRefrence: 'HU-1' })
        expect(result.ok).toBe(false)
        if (!result.ok) {
          expect(result.problems).toContainEqual({
            path: 'caseRefrence',
            rule: 'unknown-field',
            message: "unknown field; did you mean 'caseReference'?",
          })
        }
      })
    })
  }

  const preservation = EXAMPLES.preservation

  it.each([
    ['issuedAt', '2026-11-28 14:03', 'has no UTC offset'],
    ['issuedAt', '2026-02-30T10:00:00Z', 'not a real date'],
    ['requestingAuthority.email', 'poc247-at-example.hu', 'not an e-mail address'],
    ['requestingAuthority.timeZone', '+01:00', 'IANA'],
    ['requestingAuthority.timeZone', 'Europe/Atlantis', 'IANA'],
    ['requestingAuthority.phones[0]', '06 1 234 5678', 'country code'],
    ['language', 'english language', 'language tag'],
    ['urgency', 'asap', 'routine, urgent, emergency'],
    ['data.identifiers[0].address', '203.0.113.256', 'not an IPv4 or IPv6'],
    ['data.identifiers[0].address', '2001:db8:::7', 'not an IPv4 or IPv6'],
    ['data.identifiers[0].port', 65_536, 'between 0 and 65535'],
    ['data.identifiers[0].timestamp', '2026-11-27T22:41:09', 'without the zone the log line cannot be found'],
    ['data.identifiers[1].address', 'payme@', 'not an e-mail address'],
    ['custodian.country', 'XX', 'ISO 3166'],
    ['attachments[0].sha256', 'abc', '64 hexadecimal'],
    ['mlaIntent.intendsToSubmit', false, 'Art. 29(2)(f)'],
  ])('%s = %j is refused with a reason', (path, value, reason) => {
    const result = validateRequest(setAt(preservation, path, value))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      const problem = result.problems.find((p) => p.path === path)
      expect(problem?.message).toContain(reason)
    }
  })

  it('explains why an IP address needs its timestamp', () => {
    const result = validateRequest(setAt(preservation, 'data.identifiers[0].timestamp', undefined))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      const problem = result.problems.find((p) => p.path === 'data.identifiers[0].timestamp')
      expect(problem).toMatchObject({ rule: 'required' })
      expect(problem?.message).toMatch(/reassigned.*UTC offset/)
    }
  })

  it('shows the example in the no-offset message built from the value given', () => {
    const result = validateRequest(setAt(preservation, 'data.identifiers[0].timestamp', '2026-11-28 14:03'))
    expect(result.ok ? '' : result.problems[0]?.message).toContain('2026-11-28T14:03:00+01:00')
  })

  it('reports every problem at once', () => {
    let broken = setAt(preservation, 'facts', undefined)
    broken = setAt(broken, 'requestingAuthority.email', 'nope')
    broken = setAt(broken, 'data.identifiers[0].timestamp', '2026-11-27 22:41')
    broken = setAt(broken, 'custodian', {})
    expect(problemPaths(broken).sort()).toEqual(
      ['custodian.provider', 'data.identifiers[0].timestamp', 'facts', 'requestingAuthority.email'].sort(),
    )
  })

  it('requires the earlier reference for an extension and refuses it on a new request', () => {
    expect(problemPaths({ ...preservation, requestKind: 'extension' })).toEqual(['extensionOf'])
    expect(validateRequest({ ...preservation, requestKind: 'extension', extensionOf: 'FR-PRES-1' }).ok).toBe(
      true,
    )
    expect(problemPaths({ ...preservation, extensionOf: 'FR-PRES-1' })).toEqual(['extensionOf'])
  })

  it('accepts a custodian given only by system location', () => {
    expect(validateRequest({ ...preservation, custodian: { location: 'Server at 198.51.100.2' } }).ok).toBe(
      true,
    )
  })

  it('requires emergency urgency for an emergency disclosure', () => {
    expect(problemPaths({ ...EXAMPLES['emergency-disclosure'], urgency: 'urgent' })).toEqual(['urgency'])
  })

  it('requires a name or an identifier to locate a suspect', () => {
    const suspect = { aliases: [], identifiers: [] }
    expect(problemPaths({ ...EXAMPLES['locate-suspect'], suspect })).toEqual(['suspect.name'])
  })

  it("refuses a suspect's date of birth that is not a real date", () => {
    const suspect = (dateOfBirth: string) => ({
      ...EXAMPLES['locate-suspect'],
      suspect: { ...(EXAMPLES['locate-suspect'].suspect as object), dateOfBirth },
    })
    // Date.parse takes the first two
    for (const date of ['2023-02-30', '2023-04-31', '2023-13-01', '2023-00-10', '23-04-01'])
      expect(problemPaths(suspect(date)), date).toEqual(['suspect.dateOfBirth'])
    expect(problemPaths(suspect('2024-02-29'))).toEqual([])
  })

  it('names an unknown schema and lists the known ones', () => {
    const result = validateRequest({ ...preservation, schema: 'pocnet/preservation/v9' })
    expect(result.ok ? '' : result.problems[0]?.message).toContain('pocnet/preservation/v1')
  })

  it('reads objects with a null prototype, as the CBOR decoder returns them', () => {
    const bare = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(bare)
      if (typeof value !== 'object' || value === null) return value
      return Object.assign(
        Object.create(null),
        Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bare(v)])),
      )
    }
    expect(validateRequest(bare(preservation)).ok).toBe(true)
  })

  it('accepts its own output unchanged, so a stored or relayed request validates again', () => {
    for (const type of REQUEST_TYPES) {
      const first = validateRequest(EXAMPLES[type])
      if (!first.ok) throw new Error(`fixture ${type} invalid`)
      expect(validateRequest(first.value)).toEqual(first)
    }
  })

  it('never throws on arbitrary input, and a failure always names at least one problem', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (input) => {
        const result = validateRequest(input)
        return result.ok || result.problems.length > 0
      }),
      { numRuns: 500 },
    )
  })

  it('never throws when fields of a valid request are replaced by arbitrary JSON', () => {
    const all = REQUEST_TYPES.flatMap((type) => paths(EXAMPLES[type]).map((path) => ({ type, path })))
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.jsonValue(), ({ type, path }, value) => {
        const result = validateRequest(setAt(EXAMPLES[type], path, value))
        return result.ok || result.problems.length > 0
      }),
      { numRuns: 1000 },
    )
  })
})
