import { replayCase, validateEvent } from '@pocnet/cases'
import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import type { Logger } from '../log.ts'
import type { StartIndex } from '../snapshot/start-index.ts'
import type { DamagedCases } from './damaged.ts'
import { type Change, type HeldCases, stepChange } from './held.ts'
import { type CasePayload, decodePayload, isCaseKind } from './payload.ts'
import type { CaseRecorder } from './record.ts'

export interface RebuildInit {
  ledger: Ledger
  log: Logger
  cases: HeldCases
  recorder: CaseRecorder
  /**
   * The case messages and records to replay, and what became of the steps sent before this
   * start: those never delivered are left out.
   */
  index: StartIndex
  /** Where the case messages whose payload cannot be read are noted, to be shown as damaged. */
  damaged: DamagedCases
  /** Sends the requested side's "delivered" step of a case (the rebuild runs in the book's queue already). */
  sendDelivered: (caseId: string) => Promise<void>
}

/**
 * Rebuilds the case book from the ledger at start: every case message's payload is kept beside
 * its envelope, so the cases are replayed from them; then what a crash left undone is done.
 */
export async function rebuildCases(init: RebuildInit): Promise<void> {
  const { ledger, cases, index } = init
  // read one at a time as they are replayed: only the case traffic is held
  const recorded = recordedChanges(index)
  const unrecorded: Array<{ entry: LedgerEntry; change: Change }> = []
  for (const seq of index.caseTraffic) {
    const entry = await ledger.get(seq)
    if (entry.kind !== 'message-sent' && entry.kind !== 'message-received') continue
    if (!isCaseKind(entry.detail?.messageKind)) continue
    const change = await replayEntry(init, entry)
    if (change !== undefined && !recorded.has(entry, change)) unrecorded.push({ entry, change })
  }
  // A message stored just before a crash, before the book recorded what it changed: recorded
  // now, and (once recorded, never again) shown and paged as it would have been then.
  for (const { entry, change } of unrecorded) {
    const from = entry.counterpart!
    const received = entry.kind === 'message-received'
    await init.recorder.announce(
      change,
      from,
      received ? `country:${from}` : entry.actor,
      entry.messageId,
      received,
    )
  }
  // A request received just before a crash may still lack its "delivered" answer.
  for (const held of cases.values()) {
    if (held.side === 'requested' && held.current.status === 'sent') await init.sendDelivered(held.current.id)
  }
}

/**
 * Which case messages the ledger already holds a "case-state-changed" entry for, from the start
 * index: an opening by its case, a received step by `detail.messageId`. Entries of releases that
 * did not name the message are matched by case and step kind, in order (the book records received
 * messages in the order they were stored, so those a crash left unrecorded are the last of their kind).
 */
function recordedChanges(index: StartIndex): { has(entry: LedgerEntry, change: Change): boolean } {
  // consumed as the traffic is replayed: a copy, the index is the start's
  const unnamed = new Map(index.unnamedRecords)
  return {
    has: (entry, change) => {
      if (change.type === 'opened') return index.recordedOpenings.has(change.caseId)
      // received steps only: nothing is shown or paged for a step of ours
      if (entry.kind !== 'message-received' || entry.messageId === undefined) return true
      if (!index.unrecordedReceived.has(entry.messageId)) return true
      const key = `${change.caseId} ${change.kind}`
      const left = unnamed.get(key) ?? 0
      if (left > 0) unnamed.set(key, left - 1)
      return left > 0
    },
  }
}

/** Replays one case message into the book; what it changed, for a message that opened a case or a received step. */
async function replayEntry(init: RebuildInit, entry: LedgerEntry): Promise<Change | undefined> {
  const { ledger, log, cases, index } = init
  const sent = entry.kind === 'message-sent'
  const payloadHash = entry.blobs[sent ? 1 : 2]
  if (payloadHash === undefined || entry.counterpart === undefined) return
  // The ledger cannot drop an entry: one whose payload is missing or no longer opens (a damaged
  // disk), or that this release cannot replay, is logged and passed over, never allowed to stop
  // the node from starting; an unreadable one is noted, so its case shows as damaged.
  let payload: CasePayload | undefined
  let problem = 'missing'
  try {
    const bytes = await ledger.getBlob(payloadHash)
    if (bytes !== undefined) {
      payload = decodePayload(bytes)
      problem = 'does not decode'
    }
  } catch (err) {
    problem = (err as Error).message
  }
  if (payload === undefined) {
    log.error('cases.unreadable-payload', { seq: entry.seq, messageId: entry.messageId ?? null, problem })
    init.damaged.note(entry, problem)
    return
  }
  try {
    if (payload.type === 'request') {
      cases.hold(payload, sent ? 'requester' : 'requested', entry.counterpart)
      return { type: 'opened', caseId: payload.caseId }
    }
    const held = cases.find(payload.caseId)
    const checked = validateEvent(payload.event)
    if (held === undefined) return
    if (!checked.ok) {
      // stored under an earlier release's rules, which this one has tightened
      log.error('cases.unreplayable-entry', { seq: entry.seq, error: 'InvalidEventError' })
      return
    }
    const messageId = entry.messageId
    // a step of ours the counterpart never took (given up, or refused) is not in the case
    if (sent && messageId !== undefined && index.failedCaseSteps.has(messageId)) return
    // one still on its way may yet be given up: remembered, to take it back then
    if (sent && messageId !== undefined && index.unsettled.has(messageId))
      cases.sentSteps.set(messageId, { caseId: payload.caseId, eventId: checked.value.id })
    const events = [...held.events, checked.value]
    const replay = replayCase(held.opening, events)
    const refused = replay.rejected.find((r) => r.event.id === checked.value.id)
    if (refused !== undefined)
      log.error('cases.unreplayable-entry', { seq: entry.seq, error: refused.error.name })
    const before = held.current.status
    held.current = replay.case
    held.events = events
    if (sent) return
    return stepChange(payload.caseId, checked.value.kind, before, held, replay)
  } catch (err) {
    log.error('cases.unreplayable-entry', { seq: entry.seq, error: (err as Error).name })
  }
}
