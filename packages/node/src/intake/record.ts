import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import { type CborValue, decode, encode } from '@pocnet/protocol/cbor'
import type { Logger } from '../log.ts'
import {
  applyIntakeChange,
  DRAFT_STATUSES,
  type Draft,
  type DraftStatus,
  INTAKE_ACTIONS,
  type IntakeAction,
  type IntakeChange,
} from './draft.ts'

/** The ledger entry kind of every intake change. */
export const INTAKE_ENTRY_KIND = 'intake-changed'
const CHANGE_VERSION = 1

/** JSON values only: drops `undefined`, which pocnet's CBOR subset has no place for. */
function plain(value: unknown): CborValue {
  return JSON.parse(JSON.stringify(value)) as CborValue
}

export function encodeChange(change: IntakeChange): Uint8Array {
  return encode(plain({ v: CHANGE_VERSION, ...change }))
}

/** The change `bytes` hold, or undefined for bytes of another version or shape. */
export function decodeChange(bytes: Uint8Array): IntakeChange | undefined {
  try {
    const v = decode(bytes) as Record<string, CborValue>
    if (v.v !== CHANGE_VERSION || typeof v.draftId !== 'string' || typeof v.by !== 'string') return undefined
    if (typeof v.at !== 'string' || !(INTAKE_ACTIONS as readonly unknown[]).includes(v.action))
      return undefined
    const { v: _v, ...change } = v
    return change as unknown as IntakeChange
  } catch {
    return undefined
  }
}

/**
 * Appends a change to the ledger: the entry says who did what to which draft and the status it
 * moved between (never the form nor the reviewer's words); the change itself, contents included,
 * is the entry's blob, sealed at rest under the node's blob key like a request payload.
 */
export async function recordChange(
  ledger: Ledger,
  change: IntakeChange,
  from: DraftStatus | undefined,
  after: Draft,
): Promise<void> {
  await ledger.append(
    {
      kind: INTAKE_ENTRY_KIND,
      actor: `user:${change.by}`,
      counterpart: after.to,
      ...(change.caseId === undefined ? {} : { caseId: change.caseId }),
      detail: { draftId: change.draftId, event: change.action, from: from ?? null, to: after.status },
    },
    { blobs: [encodeChange(change)] },
  )
}

/**
 * Every draft, replayed from the ledger's intake entries in order. A change whose blob is missing
 * or no longer opens (a damaged disk) is never allowed to stop the node: the draft takes the
 * status and author the entry records, is marked damaged, and the problem is logged.
 */
export async function rebuildDrafts(ledger: Ledger, log: Logger): Promise<Map<string, Draft>> {
  const drafts = new Map<string, Draft>()
  for await (const entry of ledger.scan({ kind: INTAKE_ENTRY_KIND })) {
    const draftId = entry.detail?.draftId
    if (typeof draftId !== 'string') continue
    let change: IntakeChange | undefined
    let problem = 'missing'
    try {
      const bytes = entry.blobs[0] === undefined ? undefined : await ledger.getBlob(entry.blobs[0])
      if (bytes !== undefined) {
        change = decodeChange(bytes)
        problem = 'does not decode'
      }
    } catch (err) {
      problem = (err as Error).message
    }
    const before = drafts.get(draftId)
    if (change !== undefined) {
      try {
        drafts.set(draftId, applyIntakeChange(before, change))
        continue
      } catch (err) {
        problem = (err as Error).message
      }
    }
    log.error('intake.unreadable-change', { seq: entry.seq, draftId, problem })
    drafts.set(draftId, damagedDraft(before, draftId, entry))
  }
  return drafts
}

/** What the entry alone says of a draft whose change cannot be read. */
function damagedDraft(before: Draft | undefined, draftId: string, entry: LedgerEntry): Draft {
  const at = new Date(entry.time).toISOString()
  const status = (DRAFT_STATUSES as readonly unknown[]).includes(entry.detail?.to)
    ? (entry.detail!.to as DraftStatus)
    : (before?.status ?? 'draft')
  const action = (INTAKE_ACTIONS as readonly unknown[]).includes(entry.detail?.event)
    ? (entry.detail!.event as IntakeAction)
    : undefined
  const by = entry.actor.startsWith('user:') ? entry.actor.slice(5) : entry.actor
  return {
    id: draftId,
    owner: before?.owner ?? by,
    to: before?.to ?? entry.counterpart ?? '',
    request: before?.request ?? null,
    status,
    createdAt: before?.createdAt ?? at,
    updatedAt: at,
    revision: before?.revision ?? 1,
    caseId: entry.caseId ?? before?.caseId ?? null,
    steps: [...(before?.steps ?? []), ...(action === undefined ? [] : [{ action, at, by }])],
    damaged: true,
  }
}
