import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import {
  type Attachment,
  type FollowUp,
  type Problem,
  type RequestType,
  SCHEMAS,
  validateRequest,
} from '@pocnet/cases'
import { byteSize } from '@pocnet/crypto/bounded-file'
import { DEFAULT_MAX_ENVELOPE_BYTES } from '@pocnet/protocol/constants'
import { CliError } from '../../errors.ts'
import { readInputFile } from '../../input-file.ts'
import { parseYaml } from '../../yaml-input.ts'

/**
 * Most bytes of a request form file. Its data goes in one envelope of at most 1 MiB
 * (DEFAULT_MAX_ENVELOPE_BYTES); four times that leaves YAML room for indentation, quotes, escapes
 * and the template's comments.
 */
export const MAX_FORM_FILE_BYTES = 4 * DEFAULT_MAX_ENVELOPE_BYTES

/** A file named by its SHA-256 (hex), name and size: the bytes go by another channel, both sides check the hash. */
export async function attachmentOf(file: string): Promise<Attachment> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (e) {
    throw new CliError(
      'ERR_ATTACHMENT',
      `cannot read attachment ${file} (${(e as NodeJS.ErrnoException).code})`,
    )
  }
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return { name: basename(file), sha256: hash.digest('hex'), size }
}

/**
 * Reads a YAML request form: a file larger than any form could be is refused unread, and a YAML
 * syntax error is reported with its line, like a field problem.
 */
export async function readForm(file: string): Promise<unknown> {
  const bytes = await readInputFile(file, {
    what: 'request form',
    maxBytes: MAX_FORM_FILE_BYTES,
    why: `a form's data goes in one envelope of at most ${byteSize(DEFAULT_MAX_ENVELOPE_BYTES)}`,
    code: 'ERR_FORM',
    hint: 'write one from `pocnet request template <type> > req.yaml`',
  })
  return parseYaml(bytes.toString('utf8'), {
    where: file,
    code: 'ERR_FORM_YAML',
    hint: 'check the indentation and quoting at the line named above',
  })
}

/**
 * The form in `file` with each file of `attach` added to its attachments: by hash, name and size,
 * or as `attachOne` makes it (uploaded to the node, so the file travels).
 */
export async function readFormWithAttachments(
  file: string,
  attach: readonly string[] | undefined,
  attachOne: (file: string) => Promise<Attachment> = attachmentOf,
): Promise<unknown> {
  const form = await readForm(file)
  if (attach !== undefined && form !== null && typeof form === 'object') {
    const f = form as { attachments?: unknown }
    const earlier = Array.isArray(f.attachments) ? f.attachments : []
    const added: Attachment[] = []
    for (const one of attach) added.push(await attachOne(one))
    f.attachments = [...earlier, ...added]
  }
  return form
}

/**
 * Everything wrong with a form before it may be sent: the cases package's field checks, plus
 * the CLI's own (the form's schema matches --type).
 */
export function formProblems(form: unknown, type: RequestType | undefined): Problem[] {
  const problems: Problem[] = []
  const schema = (form as { schema?: unknown } | null)?.schema
  if (type !== undefined && schema !== undefined && schema !== SCHEMAS[type]) {
    problems.push({
      path: 'schema',
      rule: 'consistency',
      message: `is '${String(schema)}' but --type ${type} needs '${SCHEMAS[type]}'`,
    })
  }
  const checked = validateRequest(form)
  if (!checked.ok) problems.push(...checked.problems)
  return problems
}

/**
 * Writes an Art. 30 follow-up request as a YAML form to review, headed by how to send it; returns
 * the country it goes to.
 */
export async function writeFollowUpForm(file: string, caseId: string, followUp: FollowUp): Promise<string> {
  const form = followUp.request
  const to = form.custodian.country ?? '??'
  const { stringify } = await import('yaml')
  await writeFile(
    file,
    `# pocnet follow-up preservation request (Art. 30) to ${to}, linked to case ${caseId}.\n` +
      `# Review it, then: pocnet request send --to ${to} --type preservation --file ${file}\n` +
      stringify(form, { lineWidth: 0 }),
  )
  return to
}
