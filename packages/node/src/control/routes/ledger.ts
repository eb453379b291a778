import { isAbsolute } from 'node:path'
import { ENTRY_KINDS, type EntryKind, type LedgerEntry } from '@pocnet/ledger/entry'
import type { AuditPeriod, AuditReport } from '../../audit.ts'
import { AUDITORS, type NoRequest, nothing, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject, timeParam } from '../fields.ts'

/** A ledger entry as the API shows it: its time in ISO 8601, its blob hashes (plain and as stored) in hex. */
export type LedgerEntryView = Omit<LedgerEntry, 'time' | 'blobs' | 'stored'> & {
  time: string
  blobs: string[]
  stored?: string[]
}

/** `GET /ledger/entries` filters; times are ISO 8601 with their zone. */
export type LedgerQuery = {
  caseId?: string
  /** The peer country, e.g. "FR". */
  counterpart?: string
  kind?: EntryKind
  from?: string
  to?: string
  /** At most this many entries (default 1000, at most 100000). */
  limit?: number
}

/** `POST /ledger/export`: where the daemon writes the bundle (absolute, outside its data directory). */
export interface ExportRequest {
  path: string
  includeBlobBytes?: boolean
  /** How long to wait for the members' cosignatures of the bundle's checkpoint (default 10 s). */
  cosignTimeoutMs?: number
}

/**
 * How long an export waits by default for the witnesses to cosign its checkpoint: a connected
 * member answers in well under a second, so 10 s covers a slow one without holding the export long.
 */
export const DEFAULT_EXPORT_COSIGN_TIMEOUT_MS = 10_000
/** The longest wait an export may ask for: its CLI call itself times out after 300 s. */
export const MAX_EXPORT_COSIGN_TIMEOUT_MS = 120_000

export interface CheckpointView {
  size: number
  /** The Merkle root, hex. */
  root: string
}

export interface BundleWritten {
  path: string
  entries: number
  /** The checkpoint the bundle ends at, signed for it. */
  checkpoint: CheckpointView
  /** The members whose cosignatures of that checkpoint the bundle carries, against the policy's k. */
  witnesses: { cosigners: string[]; required: number; meetsPolicy: boolean }
}

export interface SignedCheckpointView extends CheckpointView {
  /** The signed note (C2SP tlog-checkpoint). */
  note: string
}

/** The inclusion proof of one entry against a signed checkpoint (RFC 9162), hex throughout. */
export interface InclusionProof {
  seq: number
  treeSize: number
  leafHash: string
  /** The entry's bytes. */
  entry: string
  proof: string[]
  /** The signed note of the checkpoint the proof leads to. */
  checkpoint: string
}

const DEFAULT_LIMIT = 1000
const MAX_LIMIT = 100_000

/** The tamper-evident ledger, for auditors (and operators): entries, bundles, checkpoints, proofs, the report. */
export const ledgerRoutes = {
  entries: route<{ query?: LedgerQuery }, { entries: LedgerEntryView[] }>()({
    method: 'GET',
    path: '/ledger/entries',
    roles: AUDITORS,
    parse: ({ query }) => {
      const kind = query.get('kind') ?? undefined
      if (kind !== undefined && !(ENTRY_KINDS as readonly string[]).includes(kind)) {
        throw new ControlApiError(400, 'ERR_FIELD', `kind: must be one of ${ENTRY_KINDS.join(', ')}`)
      }
      const limit = Number(query.get('limit') ?? DEFAULT_LIMIT)
      const from = timeParam(query, 'from')
      const to = timeParam(query, 'to')
      return {
        // an empty filter is no filter
        ...(query.get('caseId') ? { caseId: query.get('caseId')! } : {}),
        ...(query.get('counterpart') ? { counterpart: query.get('counterpart')! } : {}),
        ...(kind ? { kind: kind as EntryKind } : {}),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        limit: Number.isSafeInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
      }
    },
  }),
  export: route<{ body: ExportRequest }, BundleWritten>()({
    method: 'POST',
    path: '/ledger/export',
    roles: AUDITORS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const path = b.path
      if (typeof path !== 'string' || !isAbsolute(path)) {
        throw new ControlApiError(400, 'ERR_FIELD', 'path: must be an absolute path for the bundle')
      }
      const timeout = b.cosignTimeoutMs ?? DEFAULT_EXPORT_COSIGN_TIMEOUT_MS
      if (
        !Number.isSafeInteger(timeout) ||
        (timeout as number) < 0 ||
        (timeout as number) > MAX_EXPORT_COSIGN_TIMEOUT_MS
      )
        throw new ControlApiError(
          400,
          'ERR_FIELD',
          `cosignTimeoutMs: must be a whole number of milliseconds, 0 to ${MAX_EXPORT_COSIGN_TIMEOUT_MS}`,
        )
      return { path, includeBlobBytes: b.includeBlobBytes === true, cosignTimeoutMs: timeout as number }
    },
  }),
  checkpoint: route<NoRequest, SignedCheckpointView>()({
    method: 'POST',
    path: '/ledger/checkpoint',
    roles: AUDITORS,
    parse: nothing,
  }),
  /** The proof of entry `seq` (0 to the ledger's size - 1, which the node checks). */
  proof: route<{ params: { seq: string } }, InclusionProof>()({
    method: 'GET',
    path: '/ledger/proof/:seq',
    roles: AUDITORS,
    parse: ({ params }) => ({ seq: Number(params.seq) }),
  }),
  /** The report over cases opened from `from` (inclusive) to `to` (exclusive), timestamps with a zone. */
  auditReport: route<{ query?: { from?: string; to?: string } }, AuditReport>()({
    method: 'GET',
    path: '/audit/report',
    roles: AUDITORS,
    parse: ({ query }): AuditPeriod => {
      const from = timeParam(query, 'from')
      const to = timeParam(query, 'to')
      if (from !== undefined && to !== undefined && from > to)
        throw new ControlApiError(400, 'ERR_FIELD', 'from: must not be after to', {
          details: { field: 'from' },
        })
      return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }
    },
  }),
}
