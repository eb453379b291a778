import { toHex } from '@pocnet/crypto'
import type { LedgerEntry, VerifyReport } from '@pocnet/ledger'
import type { FederationNode } from './federation.ts'
import { ledgerEntries, verifyNodeLedger } from './ledger.ts'

/** What two stopped nodes' ledgers say about the messages one sent the other. */
export interface DeliveryAudit {
  sender: { country: string; verify: VerifyReport }
  receiver: { country: string; verify: VerifyReport }
  /** Sender's message-sent entries to the receiver: message id → envelope hash (hex). */
  sent: Map<string, string>
  /** Sender's accepted receipts: message id → receipt bytes hash (hex). */
  accepted: Map<string, string>
  /** Sender's receipt entries that say rejected. */
  rejected: LedgerEntry[]
  /** Sender's delivery-failed entries (expired). */
  failed: LedgerEntry[]
  /** Receiver's message-received entries from the sender: message id → envelope and receipt hashes (hex). */
  received: Map<string, { envelope: string; receipt: string }>
  /** Message ids with more than one entry where there must be one: receipts at the sender, receptions at the receiver. */
  duplicates: { receipts: string[]; received: string[]; sent: string[] }
}

function hex(entry: LedgerEntry, i: number): string {
  const blob = entry.blobs[i]
  return blob === undefined ? '' : toHex(blob)
}

/**
 * Verifies both stopped nodes' ledgers and collects the message traffic from `sender` to
 * `receiver` as each side recorded it, so a test can check "all receipted, none twice,
 * both agree on the message hashes".
 */
export async function auditDelivery(
  sender: FederationNode,
  receiver: FederationNode,
): Promise<DeliveryAudit> {
  const audit: DeliveryAudit = {
    sender: { country: sender.country, verify: await verifyNodeLedger(sender) },
    receiver: { country: receiver.country, verify: await verifyNodeLedger(receiver) },
    sent: new Map(),
    accepted: new Map(),
    rejected: [],
    failed: [],
    received: new Map(),
    duplicates: { receipts: [], received: [], sent: [] },
  }
  const out = await ledgerEntries(sender, ['message-sent', 'receipt', 'delivery-failed'] as const)
  for (const e of out['message-sent']) {
    if (e.counterpart !== receiver.country || e.messageId === undefined) continue
    if (audit.sent.has(e.messageId)) audit.duplicates.sent.push(e.messageId)
    audit.sent.set(e.messageId, hex(e, 0))
  }
  const receipted = new Set<string>()
  for (const e of out.receipt) {
    if (e.counterpart !== receiver.country || e.messageId === undefined) continue
    if (receipted.has(e.messageId)) audit.duplicates.receipts.push(e.messageId)
    receipted.add(e.messageId)
    if (e.detail?.status === 'accepted') audit.accepted.set(e.messageId, hex(e, 0))
    else audit.rejected.push(e)
  }
  audit.failed = out['delivery-failed'].filter((e) => e.counterpart === receiver.country)
  const inbound = await ledgerEntries(receiver, ['message-received'] as const)
  for (const e of inbound['message-received']) {
    if (e.counterpart !== sender.country || e.messageId === undefined) continue
    if (audit.received.has(e.messageId)) audit.duplicates.received.push(e.messageId)
    audit.received.set(e.messageId, { envelope: hex(e, 0), receipt: hex(e, 1) })
  }
  return audit
}
