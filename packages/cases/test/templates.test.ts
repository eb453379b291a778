import { describe, expect, it } from 'vitest'
import {
  REQUEST_FIELDS,
  REQUEST_TYPES,
  renderSummary,
  SCHEMAS,
  templateFor,
  validateRequest,
} from '../src/index.ts'
import { EXAMPLES } from './fixtures/examples.ts'

/** Top-level keys of the YAML text, counting commented-out optional ones. */
function topLevelKeys(yaml: string): string[] {
  return [...yaml.matchAll(/^(?:# )?([a-zA-Z]+):/gm)].map((m) => m[1]!)
}

describe('templateFor', () => {
  for (const type of REQUEST_TYPES) {
    it(`${type}: names the schema and exactly the fields the validator knows`, () => {
      const template = templateFor(type)
      expect(template).toContain(`schema: ${SCHEMAS[type]}\n`)
      const keys = topLevelKeys(template)
      expect([...new Set(keys)].sort()).toEqual([...REQUEST_FIELDS[type]].sort())
    })
  }

  it('marks every comment with # and keeps values quoted or plain', () => {
    for (const type of REQUEST_TYPES) {
      for (const line of templateFor(type).split('\n')) {
        expect(line).not.toMatch(/\t/)
        expect(line).toMatch(/^\s*(#.*)?$|^\s*(- )?[a-zA-Z0-9]+:( .*)?$|^\s*- ("".*|\{.*)$/)
      }
    }
  })

  it('comments out an optional identifier list, so a form filled in only where it must be still passes', () => {
    for (const type of ['technical-advice', 'evidence-collection', 'emergency-disclosure'] as const) {
      const template = templateFor(type)
      expect(template, type).not.toMatch(/^\s*identifiers:/m)
      expect(template, type).toMatch(
        /^\s*# identifiers: +# optional: remove the # of these lines to use it$/m,
      )
      // every line of the block is commented, the list entry included
      expect(template, type).not.toMatch(/^\s*- type: ip/m)
    }
    // where identifiers are required, the list stays in, to be filled in
    expect(templateFor('preservation')).toMatch(/^ {2}identifiers: +# at least one$/m)
  })

  it('explains the offset rule for timestamps', () => {
    expect(templateFor('preservation')).toContain('2026-11-28T14:03:00+01:00')
  })
})

describe('renderSummary', () => {
  it('renders a preservation request with its article headings and the data a provider needs', () => {
    const result = validateRequest(EXAMPLES.preservation)
    if (!result.ok) throw new Error('fixture invalid')
    const text = renderSummary(result.value)
    expect(text.split('\n')[0]).toBe(
      '# Request for expedited preservation of stored computer data (Budapest Convention Art. 29)',
    )
    for (const heading of ['(Art. 29(2)(a))', '(Art. 29(2)(c))', '(Art. 29(2)(f))'])
      expect(text).toContain(heading)
    expect(text).toContain(
      '  - Type: ip; Address: 203.0.113.7; Timestamp: 2026-11-27T22:41:09Z; Port: 51514\n',
    )
    expect(text).toContain('- Convention articles: 2, 5\n')
    expect(text).toContain('- Do not notify subscriber: yes\n')
    expect(text).toContain('**Case reference:** HU-NNI-2026-0412')
  })

  it('renders every type', () => {
    for (const type of REQUEST_TYPES) {
      const result = validateRequest(EXAMPLES[type])
      if (!result.ok) throw new Error(`fixture ${type} invalid`)
      expect(renderSummary(result.value)).toContain(result.value.caseReference)
    }
  })
})
