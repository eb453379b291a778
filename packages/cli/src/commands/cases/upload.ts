import { createHash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import type { Attachment } from '@pocnet/cases'
import { attachmentRoutes, caseRoutes } from '@pocnet/node/control-client'
import type { Context } from '../../context.ts'
import { CliError } from '../../errors.ts'

/** Media types guessed from common evidence files' extensions; others go without one. */
const MEDIA_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.eml': 'message/rfc822',
  '.zip': 'application/zip',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.pcap': 'application/vnd.tcpdump.pcap',
}

/**
 * Uploads `file` to the node chunk by chunk (one chunk in memory at a time), then returns the
 * attachment as a case message names it: the node sealed and stored it, and sends it with the
 * message. The SHA-256 the node computed must be the one computed here: a file that changed
 * while it was read is refused.
 */
export async function uploadAttachment(ctx: Context, file: string): Promise<Attachment> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (e) {
    throw new CliError(
      'ERR_ATTACHMENT',
      `cannot read attachment ${file} (${(e as NodeJS.ErrnoException).code})`,
    )
  }
  const mediaType = MEDIA_TYPES[extname(file).toLowerCase()]
  const started = await ctx.call(attachmentRoutes.begin, {
    body: { name: basename(file), size, ...(mediaType !== undefined && { mediaType }) },
  })
  const hash = createHash('sha256')
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(started.chunkSize)
    for (let index = 0; index < started.chunks; index++) {
      const want = Math.min(started.chunkSize, size - index * started.chunkSize)
      const { bytesRead } = await handle.read(buffer, 0, want, index * started.chunkSize)
      if (bytesRead !== want)
        throw new CliError('ERR_ATTACHMENT', `${file} changed while it was uploaded (it is shorter now)`)
      const data = buffer.subarray(0, want)
      hash.update(data)
      await ctx.call(attachmentRoutes.chunk, {
        params: { id: started.id, index: String(index) },
        body: { data: data.toString('base64') },
      })
    }
  } finally {
    await handle.close()
  }
  const { attachment } = await ctx.call(attachmentRoutes.finish, { params: { id: started.id } })
  if (attachment.sha256 !== hash.digest('hex'))
    throw new CliError(
      'ERR_ATTACHMENT',
      `${file}: the node stored other bytes than were read here; attach it again`,
    )
  return attachment
}

/**
 * Uploads each file for a `kind` step on case `caseId`, once the case allows that step from this
 * side: a step the case refuses would leave the uploads unused. The node checks again on sending.
 */
export async function uploadForStep(
  ctx: Context,
  caseId: string,
  kind: string,
  files: readonly string[],
): Promise<Attachment[]> {
  if (files.length === 0) return []
  const detail = await ctx.call(caseRoutes.detail, { params: { id: caseId } })
  if (!detail.allowedMoves.some((m) => m.kind === kind && m.side === detail.side))
    throw new CliError(
      'ERR_ILLEGAL_TRANSITION',
      `case ${caseId} is '${detail.case.status}': '${kind}' from the ${detail.side} side is not allowed now, so nothing was uploaded`,
      { hint: `see what may happen next with \`pocnet case show ${caseId}\`` },
    )
  const attachments: Attachment[] = []
  for (const file of files) attachments.push(await uploadAttachment(ctx, file))
  return attachments
}

/** The attachments as they identify a submission: without what each upload makes fresh (id, key). */
export function withoutTransfer(form: unknown): unknown {
  if (form === null || typeof form !== 'object') return form
  const f = form as { attachments?: unknown }
  if (!Array.isArray(f.attachments)) return form
  return {
    ...f,
    attachments: f.attachments.map((a) => {
      if (a === null || typeof a !== 'object') return a
      const { transfer: _fresh, ...named } = a as Record<string, unknown>
      return named
    }),
  }
}
