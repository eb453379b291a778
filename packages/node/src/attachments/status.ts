import type { NamedAttachment } from './of-case.ts'
import { plainLength } from './pull.ts'
import type { AttachmentRecord, AttachmentState } from './store.ts'

/** One attachment as `pocnet case attachments` shows it. */
export interface AttachmentStatus {
  id?: string
  name: string
  direction: 'sent' | 'received'
  size: number
  sha256: string
  mediaType?: string
  /** `by-hash`: named by its hash only, its bytes never travel through pocnet. */
  state: AttachmentState | 'by-hash'
  chunks: { done: number; total: number }
  bytes: { done: number; total: number }
  error?: string
  completedAt?: string
}

/**
 * Each attachment of case `caseId` with how far its transfer went: those its messages name, then
 * those this node holds for it that no message names any more (a step taken back).
 */
export function attachmentStatus(
  caseId: string,
  named: readonly NamedAttachment[],
  records: ReadonlyMap<string, AttachmentRecord>,
  progress: ReadonlyMap<string, ReadonlySet<number>>,
): AttachmentStatus[] {
  // a step taken back (its message refused) names its attachments no more: they are shown still
  const shown = new Set(
    named.flatMap((n) => (n.attachment.transfer === undefined ? [] : [n.attachment.transfer.id])),
  )
  const unnamed = [...records.values()]
    .filter((r) => r.caseId === caseId && !shown.has(r.id))
    .map((r) => ({
      attachment: {
        name: r.name,
        sha256: r.sha256,
        size: r.size,
        ...(r.mediaType !== undefined && { mediaType: r.mediaType }),
        transfer: { id: r.id, chunkSize: r.chunkSize, chunks: r.chunks, key: '' },
      },
      direction: r.direction,
    }))
  return [...named, ...unnamed].map(({ attachment: a, direction }) => {
    const record = a.transfer === undefined ? undefined : records.get(a.transfer.id)
    const total = a.transfer?.chunks.length ?? 0
    const base = {
      ...(a.transfer !== undefined && { id: a.transfer.id }),
      name: a.name,
      direction,
      size: a.size,
      sha256: a.sha256,
      ...(a.mediaType !== undefined && { mediaType: a.mediaType }),
    }
    if (a.transfer === undefined)
      return { ...base, state: 'by-hash', chunks: { done: 0, total: 0 }, bytes: { done: 0, total: a.size } }
    if (record === undefined || record.caseId !== caseId)
      return {
        ...base,
        state: 'failed',
        chunks: { done: 0, total },
        bytes: { done: 0, total: a.size },
        error: 'not held by this node',
      }
    const done =
      record.state === 'complete'
        ? new Set(Array.from({ length: total }, (_, i) => i))
        : (progress.get(record.id) ?? new Set<number>())
    let bytes = 0
    for (const i of done) bytes += plainLength(record, i)
    return {
      ...base,
      state: record.state,
      chunks: { done: done.size, total },
      bytes: { done: bytes, total: a.size },
      ...(record.error !== undefined && { error: record.error }),
      ...(record.completedAt !== undefined && { completedAt: record.completedAt }),
    }
  })
}
