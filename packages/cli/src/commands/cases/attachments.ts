import { createHash } from 'node:crypto'
import { access, open, rename, rm } from 'node:fs/promises'
import { byteSize } from '@pocnet/crypto/bounded-file'
import { type AttachmentStatus, attachmentRoutes } from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { Context } from '../../context.ts'
import { CliError } from '../../errors.ts'
import { examples, jsonOption } from '../../help.ts'
import { out } from '../../output.ts'
import { attachmentsTable, progressText } from './attachments-table.ts'

/** The attachment of a case named by its id, or by its name when only one has it. */
function pick(list: readonly AttachmentStatus[], caseId: string, which: string): AttachmentStatus {
  const byId = list.find((a) => a.id === which)
  if (byId !== undefined) return byId
  const byName = list.filter((a) => a.name === which)
  if (byName.length === 1) return byName[0]!
  const known = list.map((a) => `${a.id ?? '(by hash)'} ${a.name}`).join(', ')
  throw new CliError(
    'ERR_NO_ATTACHMENT',
    byName.length > 1
      ? `case ${caseId} has ${byName.length} attachments named ${which}: name one by its id`
      : `case ${caseId} has no attachment ${which}${known === '' ? '' : ` (it has: ${known})`}`,
    { hint: `list them with \`pocnet case attachments ${caseId}\`` },
  )
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/**
 * Writes attachment `a` of the case to `file`, chunk by chunk, checking the SHA-256 as it goes;
 * the bytes go to `<file>.part`, renamed only once the whole file checked.
 */
async function fetchTo(ctx: Context, caseId: string, a: AttachmentStatus, file: string): Promise<void> {
  const part = `${file}.part`
  const handle = await open(part, 'w', 0o600)
  const hash = createHash('sha256')
  try {
    for (let index = 0; index < a.chunks.total; index++) {
      const { data } = await ctx.call(attachmentRoutes.read, {
        params: { id: caseId, attachment: a.id!, index: String(index) },
      })
      const bytes = Buffer.from(data, 'base64')
      hash.update(bytes)
      await handle.write(bytes)
    }
    await handle.sync()
  } catch (e) {
    await handle.close()
    await rm(part, { force: true })
    throw e
  }
  await handle.close()
  const got = hash.digest('hex')
  if (got !== a.sha256) {
    await rm(part, { force: true })
    throw new CliError(
      'ERR_ATTACHMENT_HASH',
      `${a.name}: the bytes read have SHA-256 ${got}, not ${a.sha256}`,
    )
  }
  await rename(part, file)
}

/** `pocnet case attachments` and `pocnet case fetch`. */
export function registerAttachmentCommands(kase: Command): void {
  examples(
    kase
      .command('attachments <id>')
      .description('the attachments of a case: direction, size, how far each transfer went, its state')
      .addOption(jsonOption())
      .action(async (id: string, flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const r = await ctx.call(attachmentRoutes.ofCase, { params: { id } })
        if (flags.json) return out.json(r)
        if (r.attachments.length === 0) return out.line(`case ${id} has no attachments`)
        out.line(attachmentsTable(r.attachments))
      }),
    'pocnet case attachments IT-20261128-dd69bafb',
  )

  examples(
    kase
      .command('fetch <id> <attachment>')
      .description('write a complete attachment (by id, or by name) to a file, checking its SHA-256')
      .requiredOption('--out <file>', 'the file to write')
      .option('--force', 'replace the file if it exists')
      .addOption(jsonOption())
      .action(
        async (
          id: string,
          which: string,
          flags: { out: string; force?: boolean; json?: boolean },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const { attachments } = await ctx.call(attachmentRoutes.ofCase, { params: { id } })
          const a = pick(attachments, id, which)
          if (a.state === 'by-hash' || a.id === undefined)
            throw new CliError(
              'ERR_ATTACHMENT',
              `${a.name} was named by its hash only: its bytes never came through pocnet`,
            )
          const readable = a.direction === 'sent' ? a.state !== 'uploading' : a.state === 'complete'
          if (!readable)
            throw new CliError(
              'ERR_ATTACHMENT_INCOMPLETE',
              `${a.name} is ${a.state} (${progressText(a)}), not complete`,
              {
                hint: `follow it with \`pocnet case attachments ${id}\``,
              },
            )
          if (!flags.force && (await exists(flags.out)))
            throw new CliError('ERR_FILE_EXISTS', `${flags.out} exists`, {
              hint: 'add --force to replace it',
            })
          await fetchTo(ctx, id, a, flags.out)
          if (flags.json) return out.json({ file: flags.out, name: a.name, size: a.size, sha256: a.sha256 })
          out.line(
            `${out.style('green', '✓')} ${a.name} written to ${flags.out} (${byteSize(a.size)}, SHA-256 ${a.sha256} checked)`,
          )
        },
      ),
    'pocnet case fetch IT-20261128-dd69bafb subscriber.pdf --out subscriber.pdf',
  )
}
