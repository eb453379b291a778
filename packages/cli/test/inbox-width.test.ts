import { stripVTControlCharacters } from 'node:util'
import type { CaseMatch, CaseSummary } from '@pocnet/node/control-client'
import { describe, expect, it } from 'vitest'
import { casesTable } from '../src/commands/cases/format.ts'
import { searchTable } from '../src/commands/cases/search.ts'
import { ellipsis, fitTable } from '../src/fit-table.ts'

// The inbox and the search results are read on a 100-column page: cut with an ellipsis, never wrapped.

const widest = (text: string) => Math.max(...text.split('\n').map((l) => stripVTControlCharacters(l).length))

function summary(over: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id: 'IT-20261128-dd69bafb',
    type: 'traffic-data-disclosure',
    requester: 'IT',
    requested: 'FR',
    side: 'requester',
    status: 'information-requested',
    urgency: 'emergency',
    reference: 'PROC-ROMA-2026-000000412-CYBERCRIME-UNIT',
    openedAt: '2026-11-28T13:10:00Z',
    updatedAt: '2026-11-28T13:10:00Z',
    ackDueAt: new Date(Date.now() - 90 * 86_400_000).toISOString(),
    answerDueAt: null,
    preservationExpiresAt: new Date(Date.now() + 89 * 86_400_000).toISOString(),
    nextAlert: null,
    ...over,
  }
}

describe('tables that fit a 100-column page', () => {
  it('gives the inbox a reference column and keeps every line within 100 columns', () => {
    const text = casesTable([summary(), summary({ reference: 'short', type: 'preservation' })])
    expect(widest(text)).toBeLessThanOrEqual(100)
    const [header, first, second] = text.split('\n').map(stripVTControlCharacters)
    expect(header).toMatch(/^CASE\s+REFERENCE\s+TYPE\s+FROM→TO\s+STATUS\s+URGENCY\s+NEXT DEADLINE$/)
    expect(first).toContain('PROC-ROMA…')
    expect(first).toMatch(/ack 90d \dh ago$/)
    expect(second).toContain('IT-20261128-dd69bafb  short ')
  })

  it('names the answer deadline when it is the nearest', () => {
    const answerDueAt = new Date(Date.now() + 2 * 86_400_000).toISOString()
    const [, row] = casesTable([summary({ ackDueAt: null, answerDueAt })])
      .split('\n')
      .map(stripVTControlCharacters)
    expect(row).toMatch(/answer in \d+d.*$/)
  })

  it('keeps search results within 100 columns, however many fields matched', () => {
    const match: CaseMatch = {
      id: 'FR-20261128-0a1b2c3d',
      type: 'evidence-collection',
      requester: 'FR',
      requested: 'IT',
      side: 'requested',
      status: 'acknowledged',
      finished: false,
      openedAt: '2026-11-28T13:10:00Z',
      reference: 'FR/OCLCTIC/2026/77',
      matched: Array.from({ length: 9 }, (_, i) => ({
        kind: 'ip' as const,
        path: `evidence.identifiers[${i}]`,
      })),
    }
    expect(widest(searchTable([match]))).toBeLessThanOrEqual(100)
  })

  it('cuts with an ellipsis, measuring without colour codes', () => {
    expect(ellipsis('abcdef', 4)).toBe('abc…')
    expect(ellipsis('\u001b[31mabc\u001b[39m', 3)).toBe('\u001b[31mabc\u001b[39m')
    const table = fitTable(
      [
        ['A', 'B'],
        ['x'.repeat(80), 'y'.repeat(80)],
      ],
      { width: 50, shrink: [{ column: 0, min: 5 }] },
    )
    expect(widest(table)).toBe(50)
  })
})
