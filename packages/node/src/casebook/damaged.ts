import type { Side } from '@pocnet/cases'
import type { LedgerEntry } from '@pocnet/ledger'
import { CASE_REQUEST_KIND } from './payload.ts'

/** A case message whose stored payload the rebuild could not read: its ledger entry, and why. */
export interface DamagedEntry {
  seq: number
  /** message-sent or message-received. */
  entryKind: string
  /** The envelope kind: case-request (the case's opening) or case-event (a later step). */
  messageKind: string
  messageId: string | null
  /** When the entry was appended, ms since the epoch. */
  at: number
  /** Why it could not be read: missing, does not decode, or the blob store's error (a key no longer held). */
  problem: string
}

/** A case with unreadable messages. `held` false: its opening request is among them, so the book holds nothing of it. */
export interface DamagedCase {
  id: string
  counterpart: string
  /** This node's side, when the opening says it (from whether the request was sent or received). */
  side: Side | null
  held: boolean
  entries: DamagedEntry[]
}

/**
 * The cases whose messages the rebuild found unreadable (a damaged disk, a blob key no longer
 * held). The ledger keeps every entry; the book cannot replay these, so it names them instead of
 * dropping them: `inbox`, `case show` and `status` show them as damaged.
 */
export class DamagedCases {
  readonly #cases = new Map<string, Omit<DamagedCase, 'held'>>()

  /** Notes a case message whose payload is unreadable; messages of no case are the outbox's concern. */
  note(entry: LedgerEntry, problem: string): void {
    if (entry.caseId === undefined || entry.counterpart === undefined) return
    const messageKind = String(entry.detail?.messageKind ?? '')
    const damaged = this.#cases.get(entry.caseId) ?? {
      id: entry.caseId,
      counterpart: entry.counterpart,
      side: null,
      entries: [],
    }
    if (messageKind === CASE_REQUEST_KIND)
      damaged.side = entry.kind === 'message-sent' ? 'requester' : 'requested'
    damaged.entries.push({
      seq: entry.seq,
      entryKind: entry.kind,
      messageKind,
      messageId: entry.messageId ?? null,
      at: entry.time,
      problem,
    })
    this.#cases.set(entry.caseId, damaged)
  }

  get size(): number {
    return this.#cases.size
  }

  /** The damaged case `id`, `held` saying whether the book holds it nonetheless. */
  find(id: string, held: (id: string) => boolean): DamagedCase | undefined {
    const damaged = this.#cases.get(id)
    return damaged === undefined ? undefined : { ...damaged, held: held(id) }
  }

  list(held: (id: string) => boolean): DamagedCase[] {
    return [...this.#cases.values()].map((d) => ({ ...d, held: held(d.id) }))
  }
}
