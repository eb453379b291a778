/**
 * A node's history for the start-up benchmarks, written through the real ledger API in
 * fsync'd batches: settled traffic of the kinds a busy node accumulates (messages sent and
 * their receipts, messages received, the case book's records and its alerts), dated before
 * the replay window, so that what a start must hold is none of it. The entries name no blobs: a
 * start never reads those of settled messages, and the blob checks would slow the writing tenfold.
 */
import type { Ledger, LedgerEvent } from '@pocnet/ledger'

const BATCH = 5000
const DAY_MS = 86_400_000
const COUNTERPARTS = ['FR', 'DE', 'ES', 'PL', 'NL', 'BE', 'PT', 'SE']

/** The i-th entry of the history: a repeating pattern of ten. */
function historyEvent(i: number): LedgerEvent {
  const round = Math.floor(i / 10)
  const counterpart = COUNTERPARTS[round % COUNTERPARTS.length]!
  const caseId = `IT-2026-${String(round % 5000).padStart(5, '0')}`
  const sentId = `${round.toString(16).padStart(12, '0')}${'5e'.repeat(10)}`
  const receivedId = `${round.toString(16).padStart(12, '0')}${'4e'.repeat(10)}`
  switch (i % 10) {
    case 0:
    case 1:
    case 2: {
      const messageId = `${sentId.slice(0, -1)}${i % 10}`
      return {
        kind: 'message-sent',
        actor: 'user:alice',
        counterpart,
        caseId,
        messageId,
        detail: { messageKind: 'bench' },
      }
    }
    case 3:
    case 4:
    case 5: {
      const messageId = `${sentId.slice(0, -1)}${(i % 10) - 3}`
      return {
        kind: 'receipt',
        actor: `country:${counterpart}`,
        counterpart,
        caseId,
        messageId,
        detail: { status: 'accepted', receivedAt: 0 },
      }
    }
    case 6:
    case 7:
      return {
        kind: 'message-received',
        actor: `country:${counterpart}`,
        counterpart,
        caseId,
        messageId: `${receivedId.slice(0, -1)}${i % 10}`,
        detail: { messageKind: 'bench', createdAt: 0 },
      }
    case 8:
      return {
        kind: 'case-state-changed',
        actor: `country:${counterpart}`,
        caseId,
        detail: { event: 'note', messageId: `${receivedId.slice(0, -1)}6` },
      }
    default:
      return {
        kind: 'admin-action',
        actor: 'node',
        caseId,
        counterpart,
        detail: { action: 'alert', key: `${caseId}/${round}`, alert: 'acknowledgement-overdue', dueAt: '' },
      }
  }
}

/**
 * Appends `count` history entries to `ledger` (opened with `clock: historyClock()` so that they
 * are dated before the replay window), in batches of BATCH.
 */
export async function appendHistory(ledger: Ledger, count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const base = ledger.size
    const n = Math.min(BATCH, count - done)
    await ledger.appendBatch(Array.from({ length: n }, (_, i) => historyEvent(base + i)))
  }
}

/** A clock for the ledger that writes the history: thirty days ago, so it is all older than any window. */
export function historyClock(): () => number {
  const at = Date.now() - 30 * DAY_MS
  return () => at
}
