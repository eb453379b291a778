import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import type { Outbox } from '../../outbox.ts'
import type { MessageDelivery } from '../routes/cases.ts'

/**
 * What became of each message this node sent on a case: settled ones from their receipt or
 * "delivery-failed" entry in the ledger, waiting ones from the outbox with their attempts.
 */
export async function caseDeliveries(
  ledger: Ledger,
  outbox: Outbox,
  caseId: string,
): Promise<MessageDelivery[]> {
  const entries = await ledger.query({ caseId })
  const outcomes = outcomesOf(entries)
  const sent = entries.filter((e) => e.kind === 'message-sent' && e.messageId !== undefined)
  // A message settled while the ledger was read has left the outbox, its outcome appended after
  // the read: read again before calling it unreadable.
  if (sent.some((e) => !outcomes.has(e.messageId!) && outbox.pending(e.messageId!) === undefined)) {
    for (const [id, e] of outcomesOf(await ledger.query({ caseId }))) outcomes.set(id, e)
  }
  return sent.map((e) => deliveryOf(e, outcomes.get(e.messageId!), outbox))
}

/** The receipt or "delivery-failed" entry of each message among `entries`, by message id. */
function outcomesOf(entries: readonly LedgerEntry[]): Map<string, LedgerEntry> {
  const outcomes = new Map<string, LedgerEntry>()
  for (const e of entries)
    if ((e.kind === 'receipt' || e.kind === 'delivery-failed') && e.messageId !== undefined)
      outcomes.set(e.messageId, e)
  return outcomes
}

function deliveryOf(sent: LedgerEntry, outcome: LedgerEntry | undefined, outbox: Outbox): MessageDelivery {
  const messageId = sent.messageId!
  const base: MessageDelivery = {
    messageId,
    kind: String(sent.detail?.messageKind ?? ''),
    state: 'unreadable',
    queuedAt: sent.time,
    receivedAt: null,
    reason: null,
    attempts: 0,
    recentAttempts: [],
    lastError: null,
    nextAttemptAt: null,
  }
  if (outcome?.kind === 'delivery-failed') return { ...base, state: 'expired' }
  if (outcome?.kind === 'receipt') {
    if (outcome.detail?.status === 'accepted') {
      const receivedAt = outcome.detail.receivedAt
      return {
        ...base,
        state: 'delivered',
        receivedAt: typeof receivedAt === 'number' ? receivedAt : outcome.time,
      }
    }
    return { ...base, state: 'refused', reason: String(outcome.detail?.reason ?? 'unknown') }
  }
  const item = outbox.pending(messageId)
  // neither settled nor waiting: the outbox left it out at start, its envelope no longer opening
  if (item === undefined) return { ...base, lastError: 'its stored envelope cannot be read' }
  return {
    ...base,
    state: 'queued',
    attempts: item.attempts,
    recentAttempts: [...item.recentAttempts],
    lastError: item.lastError ?? null,
    nextAttemptAt: item.attempts === 0 || item.nextAttemptAt === 0 ? null : item.nextAttemptAt,
  }
}
