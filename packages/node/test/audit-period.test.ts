import { type Case, openCase, validateRequest } from '@pocnet/cases'
import type { LedgerEntry } from '@pocnet/ledger'
import { describe, expect, it } from 'vitest'
import { EXAMPLES } from '../../cases/test/fixtures/examples.ts'
import { auditReport } from '../src/audit.ts'

function caseOpenedAt(openedAt: string, caseId: string): Case {
  const v = validateRequest(EXAMPLES.preservation)
  if (!v.ok) throw new Error('example does not validate')
  return openCase({ caseId, requester: 'IT', requested: 'FR', openedAt, request: v.value })
}

const alert = (caseId: string, at: string) =>
  ({
    seq: 0,
    time: Date.parse(at),
    kind: 'case-state-changed',
    actor: 'node',
    caseId,
    detail: { action: 'alert', alert: 'acknowledgement-overdue', dueAt: at },
  }) as unknown as LedgerEntry

describe('the audit report over a period', () => {
  const cases = [
    caseOpenedAt('2026-10-31T23:59:59Z', 'IT-1'),
    caseOpenedAt('2026-11-01T00:00:00Z', 'IT-2'),
    caseOpenedAt('2026-12-01T00:00:00Z', 'IT-3'),
  ].map((c) => ({ case: c, side: 'requester', counterpart: 'FR' }))
  const alerts = [alert('IT-1', '2026-10-31T23:00:00Z'), alert('IT-2', '2026-11-02T00:00:00Z')]

  it('counts the cases opened and the alerts raised from `from` inclusive to `to` exclusive', () => {
    const r = auditReport({
      country: 'IT',
      now: new Date('2026-12-05T00:00:00Z'),
      cases,
      alertEntries: alerts,
      ledgerSize: 10,
      period: { from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') },
    })
    expect(r.period).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' })
    expect(r.cases).toBe(1)
    expect(r.deadlineBreaches.map((b) => b.caseId)).toEqual(['IT-2'])
  })

  it('covers everything without a period', () => {
    const r = auditReport({ country: 'IT', now: new Date(), cases, alertEntries: alerts, ledgerSize: 10 })
    expect(r.period).toEqual({ from: null, to: null })
    expect(r.cases).toBe(3)
  })
})
