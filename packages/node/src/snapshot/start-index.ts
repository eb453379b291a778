import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import { isCaseKind } from '../casebook/payload.ts'
import { DRILL_KIND, DRILL_KINDS } from '../drills/payload.ts'

/**
 * What a start needs of the history, and no more: the views (the outbox, the case book, the
 * alerts raised, the duty pages sent) are loaded from it by reading the few entries it names, instead of scanning
 * every entry of a kind. It is a fold over the ledger in sequence order, so the index of the
 * first n entries, folded on over the entries from n, is the index of them all: a snapshot of
 * it (snapshot/file.ts) saves the start from reading the entries it covers.
 */
export interface StartIndex {
  /** Messages sent with no receipt nor give-up yet: message id → seq of its "message-sent". */
  unsettled: Map<string, { seq: number; caseStep: boolean }>
  /** Case steps of ours given up on (expired, or refused for good): the case book leaves them out. */
  failedCaseSteps: Set<string>
  /** Idempotency key → seq of the "message-sent" it produced. */
  idempotencyKeys: Map<string, number>
  /** Seqs of the case messages sent and received, in order: the case book is replayed from them. */
  caseTraffic: number[]
  /** Cases whose opening the book has recorded ("case-state-changed", event "opened"). */
  recordedOpenings: Set<string>
  /** Case messages received with no record naming them yet: a crash came between the two, or a release that named none. */
  unrecordedReceived: Set<string>
  /** Records of received steps by releases that named no message, by `<case> <event>`: how many. */
  unnamedRecords: Map<string, number>
  /** The keys of the alerts the case clocks have raised. */
  alerted: Set<string>
  /** Seqs of the drills and drill answers sent and received, in order: the drill book is rebuilt from them. */
  drillTraffic: number[]
  /** The message ids of the drills this node sent, to find their receipts. */
  sentDrills: Set<string>
  /** Seqs of the receipts and give-ups of the drills this node sent, in order. */
  drillOutcomes: number[]
  /** Seqs of the duty pages sent ("admin-action" entries, action "page"), in order. */
  pages: number[]
}

export function emptyStartIndex(): StartIndex {
  return {
    unsettled: new Map(),
    failedCaseSteps: new Set(),
    idempotencyKeys: new Map(),
    caseTraffic: [],
    recordedOpenings: new Set(),
    unrecordedReceived: new Set(),
    unnamedRecords: new Map(),
    alerted: new Set(),
    drillTraffic: [],
    sentDrills: new Set(),
    drillOutcomes: [],
    pages: [],
  }
}

/** Folds one entry (the next in sequence order) into the index. */
export function foldEntry(index: StartIndex, e: LedgerEntry): void {
  switch (e.kind) {
    case 'message-sent': {
      const key = e.detail?.idempotencyKey
      if (typeof key === 'string') index.idempotencyKeys.set(key, e.seq)
      const caseStep = isCaseKind(e.detail?.messageKind)
      if (caseStep) index.caseTraffic.push(e.seq)
      if (DRILL_KINDS.includes(String(e.detail?.messageKind))) index.drillTraffic.push(e.seq)
      if (e.detail?.messageKind === DRILL_KIND && e.messageId !== undefined) index.sentDrills.add(e.messageId)
      if (e.messageId !== undefined) index.unsettled.set(e.messageId, { seq: e.seq, caseStep })
      return
    }
    case 'message-received':
      if (DRILL_KINDS.includes(String(e.detail?.messageKind))) index.drillTraffic.push(e.seq)
      if (!isCaseKind(e.detail?.messageKind)) return
      index.caseTraffic.push(e.seq)
      if (e.messageId !== undefined) index.unrecordedReceived.add(e.messageId)
      return
    case 'receipt':
    case 'delivery-failed': {
      if (e.messageId === undefined) return
      if (index.sentDrills.has(e.messageId)) index.drillOutcomes.push(e.seq)
      const sent = index.unsettled.get(e.messageId)
      index.unsettled.delete(e.messageId)
      const failed = e.kind === 'delivery-failed' || e.detail?.status === 'rejected'
      if (failed && sent?.caseStep === true) index.failedCaseSteps.add(e.messageId)
      return
    }
    case 'case-state-changed':
      // the book records a message after storing it: a record follows the message it names
      if (e.caseId === undefined) return
      if (e.detail?.event === 'opened') index.recordedOpenings.add(e.caseId)
      else if (typeof e.detail?.messageId === 'string') index.unrecordedReceived.delete(e.detail.messageId)
      else if (e.actor.startsWith('country:')) {
        const key = `${e.caseId} ${String(e.detail?.event)}`
        index.unnamedRecords.set(key, (index.unnamedRecords.get(key) ?? 0) + 1)
      }
      return
    case 'admin-action':
      if (e.detail?.action === 'alert' && typeof e.detail.key === 'string') index.alerted.add(e.detail.key)
      if (e.detail?.action === 'page') index.pages.push(e.seq)
      return
    default:
      return
  }
}

/** Folds the entries from seq `from` to the ledger's size into `index`; how many it read. */
export async function foldFrom(ledger: Ledger, index: StartIndex, from: number): Promise<number> {
  let read = 0
  for await (const entry of ledger.scan({ fromSeq: from })) {
    foldEntry(index, entry)
    read++
  }
  return read
}
