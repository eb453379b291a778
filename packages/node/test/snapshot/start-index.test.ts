import type { LedgerEntry } from '@pocnet/ledger'
import { describe, expect, it } from 'vitest'
import { emptyStartIndex, foldEntry } from '../../src/snapshot/start-index.ts'

const entry = (seq: number, detail: Record<string, unknown>): LedgerEntry =>
  ({
    v: 1,
    seq,
    kind: 'admin-action',
    time: 0,
    actor: 'node',
    blobs: [],
    caseId: 'IT-1',
    detail,
  }) as LedgerEntry

describe('the start index', () => {
  it('names the duty pages and keeps the alert keys, and nothing of other admin actions', () => {
    const index = emptyStartIndex()
    foldEntry(index, entry(0, { action: 'alert', key: 'IT-1 acknowledgement-overdue' }))
    foldEntry(index, entry(1, { action: 'page', key: 'IT-1 officer', place: 'officer' }))
    foldEntry(index, entry(2, { action: 'duty-shift-set' }))
    foldEntry(index, entry(3, { action: 'page', key: 'IT-1 backup', place: 'backup' }))
    expect(index.pages).toEqual([1, 3])
    expect([...index.alerted]).toEqual(['IT-1 acknowledgement-overdue'])
  })
})
