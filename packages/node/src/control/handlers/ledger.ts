import { toHex } from '@pocnet/crypto'
import { hashLeaf, type Ledger, type LedgerEntry, type SignedCheckpoint } from '@pocnet/ledger'
import { auditReport } from '../../audit.ts'
import type { PocnetDaemon } from '../../daemon.ts'
import type { CosignedNow } from '../../witness/collector.ts'
import { ControlApiError } from '../errors.ts'
import {
  DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
  type LedgerEntryView,
  type ledgerRoutes,
} from '../routes/ledger.ts'
import type { Handlers } from '../serve.ts'
import { isInside } from './paths.ts'

/**
 * The deadline alerts the node raised: admin-action entries, scanned so that only the alerts are
 * held (every control call that changes something is an admin action too).
 */
async function alertEntries(ledger: Ledger): Promise<LedgerEntry[]> {
  const alerts: LedgerEntry[] = []
  for await (const e of ledger.scan({ kind: 'admin-action' }))
    if (e.detail?.action === 'alert') alerts.push(e)
  return alerts
}

function entryView(e: LedgerEntry): LedgerEntryView {
  const { stored, ...rest } = e
  return {
    ...rest,
    time: new Date(e.time).toISOString(),
    blobs: e.blobs.map(toHex),
    ...(stored === undefined ? {} : { stored: stored.map(toHex) }),
  }
}

export function ledgerHandlers(daemon: PocnetDaemon): Handlers<typeof ledgerRoutes> {
  return {
    entries: async (query) => ({ entries: (await daemon.ledger.query(query)).map(entryView) }),
    export: async ({ path, includeBlobBytes, cosignTimeoutMs }) => {
      // The daemon writes the bundle with its own rights, for a caller who may be only an
      // auditor: never into the data directory (its key, users, ledger), never over a file.
      if (await isInside(path, daemon.dataDir))
        throw new ControlApiError(400, 'ERR_FIELD', "path: must be outside the node's data directory")
      let exported: Awaited<ReturnType<typeof daemon.ledger.export>>
      // the witnesses cosign the bundle's checkpoint before it is written, so it carries them
      let cosigned: CosignedNow | undefined
      const cosign = async (checkpoint: SignedCheckpoint) => {
        cosigned = await daemon.cosignatures.cosignNow(
          checkpoint,
          cosignTimeoutMs ?? DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
        )
      }
      try {
        exported = await daemon.ledger.export(path, { includeBlobBytes, replace: false, cosign })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EEXIST')
          throw new ControlApiError(
            409,
            'ERR_EXISTS',
            `path: ${path} exists; the bundle never replaces a file`,
          )
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EROFS')
          throw new ControlApiError(400, 'ERR_FIELD', `path: the daemon cannot write ${path} (${code})`, {
            hint: 'give a directory the daemon can write; under systemd its /tmp is private',
          })
        throw err
      }
      const { entries, checkpoint } = exported
      return {
        path,
        entries,
        checkpoint: { size: checkpoint.size, root: toHex(checkpoint.root) },
        witnesses: {
          cosigners: cosigned?.cosigners ?? [],
          required: cosigned?.minCosigners ?? 0,
          meetsPolicy: cosigned?.meetsPolicy ?? false,
        },
      }
    },
    checkpoint: async () => {
      const c = await daemon.ledger.checkpoint()
      return { size: c.size, root: toHex(c.root), note: c.note }
    },
    proof: async ({ seq }) => {
      if (!Number.isSafeInteger(seq) || seq < 0 || seq >= daemon.ledger.size) {
        throw new ControlApiError(400, 'ERR_FIELD', `seq: must be 0..${daemon.ledger.size - 1}`)
      }
      let checkpoint = daemon.ledger.latestCheckpoint()
      if (checkpoint === undefined || checkpoint.size <= seq) checkpoint = await daemon.ledger.checkpoint()
      const bytes = await daemon.ledger.getBytes(seq)
      const proof = await daemon.ledger.inclusionProof(seq, checkpoint.size)
      return {
        seq,
        treeSize: checkpoint.size,
        leafHash: toHex(hashLeaf(bytes)),
        entry: toHex(bytes),
        proof: proof.map(toHex),
        checkpoint: checkpoint.note,
      }
    },
    auditReport: async (period) =>
      auditReport({
        period,
        country: daemon.config.country,
        now: new Date(),
        cases: daemon.cases.list().map((s) => {
          const d = daemon.cases.detail(s.id)
          return {
            case: d.case,
            side: d.side,
            counterpart: s.side === 'requester' ? s.requested : s.requester,
          }
        }),
        alertEntries: await alertEntries(daemon.ledger),
        drills: daemon.drills.summary(),
        ledgerSize: daemon.ledger.size,
      }),
  }
}
