import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
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
import { CliError } from '../../errors.ts'

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

/** Reads a YAML request form; a YAML syntax error is reported with its line, like a field problem. */
export async function readForm(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new CliError('ERR_FORM', `cannot read ${file} (${(e as NodeJS.ErrnoException).code})`, {
      hint: 'write one from `pocnet request template <type> > req.yaml`',
    })
  }
  // YAML is loaded only by the commands that read or write forms: it is a third of start-up
  const { parseDocument } = await import('yaml')
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    throw new CliError('ERR_FORM_YAML', `${file} is not valid YAML`, {
      lines: doc.errors.map((e) => `  ${e.message.split('\n')[0]}`),
      hint: 'check the indentation and quoting at the line named above',
    })
  }
  return doc.toJS()
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
