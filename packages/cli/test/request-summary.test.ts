import { stripVTControlCharacters } from 'node:util'
import { type CaseRequest, REQUEST_TYPES, validateRequest } from '@pocnet/cases'
import { describe, expect, it } from 'vitest'
import { clone, EXAMPLES } from '../../cases/test/fixtures/examples.ts'
import { requestSummaryLines } from '../src/commands/cases/request-summary.ts'

// The receiving officer's summary of a request (`case show` without --request), for every form.

function valid(form: unknown): CaseRequest {
  const v = validateRequest(form)
  if (!v.ok) throw new Error(JSON.stringify(v.problems))
  return v.value
}

describe("the receiver's summary of a request", () => {
  it.each(REQUEST_TYPES)('summarises a %s request within 100 columns', (type) => {
    const lines = requestSummaryLines(valid(EXAMPLES[type]), type, 'UTC', 'IT-20261128-dd69bafb')
    expect(lines[0]).toBe(`  type         ${type}, ${EXAMPLES[type]!.urgency}`)
    expect(lines).toContain('  reference    HU-NNI-2026-0412 (investigation B-123/2026)')
    expect(lines.some((l) => l.startsWith('  asked        ') || l.startsWith('  offence      '))).toBe(true)
    expect(lines.at(-1)).toBe('  (the whole request: pocnet case show IT-20261128-dd69bafb --request)')
    for (const line of lines) expect(stripVTControlCharacters(line).length).toBeLessThanOrEqual(100)
  })

  it('names the assistance an SAP Art. 10 request asks for', () => {
    const lines = requestSummaryLines(
      valid(EXAMPLES['emergency-assistance']),
      'emergency-assistance',
      'UTC',
      'IT-1',
    )
    expect(lines).toContain(
      '  asked        Search the command server and seize the decryption keys it holds.',
    )
  })

  it('lists the first three identifiers and counts the rest, and cuts long text', () => {
    const form = clone(EXAMPLES.preservation)
    const data = form.data as { identifiers: unknown[]; description: string }
    data.description = 'x'.repeat(500)
    data.identifiers = Array.from({ length: 5 }, (_, i) => ({ type: 'email', address: `a${i}@example.org` }))
    const lines = requestSummaryLines(valid(form), 'preservation', 'UTC', 'IT-1')
    expect(lines).toEqual(
      expect.arrayContaining([
        '  identifiers  5',
        '    email a0@example.org',
        '    email a2@example.org',
        '    and 2 more',
        '  handling     confidential, do not notify the subscriber',
        `  asked        ${'x'.repeat(84)}…`,
      ]),
    )
    expect(lines).not.toContain('    email a3@example.org')
  })
})
