import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REQUEST_TYPES, SCHEMAS, templateFor } from '@pocnet/cases'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { attachmentOf, CliError, formProblems, readForm } from '../src/index.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-forms-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('request forms', () => {
  it.each(REQUEST_TYPES)(
    'the %s template reads as YAML with its schema, and an empty form has problems',
    async (type) => {
      const file = join(dir, `${type}.yaml`)
      await writeFile(file, templateFor(type))
      const form = await readForm(file)
      expect((form as { schema: string }).schema).toBe(SCHEMAS[type])
      const problems = formProblems(form, type)
      expect(problems.length).toBeGreaterThan(0)
      for (const p of problems) expect(p.path).not.toBe('schema')
    },
  )

  it('a technical-advice template filled in only where it must be has no problems', async () => {
    // what an officer in a hurry does: fill in the empty mandatory fields, leave the rest alone
    const form = parse(templateFor('technical-advice')) as {
      [key: string]: unknown
      requestingAuthority: { [key: string]: unknown; officer: { name: string } }
    }
    form.issuedAt = '2026-11-28T14:03:00+01:00'
    form.caseReference = 'HU-NNI-2026-0412'
    Object.assign(form.requestingAuthority, {
      name: 'National Investigation Bureau',
      phones: ['+36 1 234 5678'],
      email: '247@nni.example',
      officeHours: '24/7 desk',
      timeZone: 'Europe/Budapest',
    })
    form.requestingAuthority.officer.name = 'Kovács Anna'
    form.topic = 'ransomware negotiation channels'
    form.question = 'Which channels does this group use?'
    expect(formProblems(form, 'technical-advice')).toEqual([])
  })

  it('reports a form whose schema is not the --type asked for, with the other problems', async () => {
    const form = parse(templateFor('technical-advice'))
    const problems = formProblems(form, 'preservation')
    expect(problems[0]).toMatchObject({ path: 'schema', rule: 'consistency' })
    expect(problems.length).toBeGreaterThan(1)
    expect(formProblems(form, 'technical-advice').some((p) => p.path === 'schema')).toBe(false)
  })

  it('names the line of a YAML syntax error', async () => {
    const file = join(dir, 'broken.yaml')
    await writeFile(file, 'schema: pocnet/preservation/v1\nfacts: "unterminated\nurgency: urgent\n')
    const failure = await readForm(file).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(CliError)
    expect((failure as CliError).message).toContain('is not valid YAML')
    expect((failure as CliError).lines.join('\n')).toMatch(/line \d+/)
  })

  it('names the line an unclosed quote opens on, in a 4-line file (not line 5)', async () => {
    const file = join(dir, 'unclosed.yaml')
    await writeFile(
      file,
      'schema: pocnet/preservation/v1\ncaseReference: HU-1\nfacts: "unterminated\nurgency: urgent\n',
    )
    const failure = (await readForm(file).catch((e: unknown) => e)) as CliError
    expect(failure).toBeInstanceOf(CliError)
    expect(failure.code).toBe('ERR_FORM_YAML')
    expect(failure.message).toBe(`${file} is not valid YAML`)
    expect(failure.lines).toEqual([
      '  line 3: the text in quotes that starts here ("unterminated) has no closing "',
    ])
  })

  it('names the last line, never one past it, for an error at the end of the file', async () => {
    const file = join(dir, 'open-list.yaml')
    await writeFile(
      file,
      'schema: pocnet/preservation/v1\ncaseReference: HU-1\nurgency: urgent\nproviders: [a, b\n',
    )
    const failure = (await readForm(file).catch((e: unknown) => e)) as CliError
    expect(failure.code).toBe('ERR_FORM_YAML')
    expect(failure.lines.length).toBeGreaterThan(0)
    for (const line of failure.lines) {
      expect(line).toMatch(/^ {2}line [1-4]\b/)
      expect(line).not.toMatch(/line 5/)
    }
  })

  it('refuses a YAML alias bomb naming the file, in plain words, with a hint', async () => {
    const file = join(dir, 'bomb.yaml')
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) {
      const previous = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`)
    }
    await writeFile(file, `${levels.join('\n')}\n`)
    const failure = (await readForm(file).catch((e: unknown) => e)) as CliError
    expect(failure).toBeInstanceOf(CliError)
    expect(failure.code).toBe('ERR_FORM_YAML')
    expect(failure.message).toContain(`${file}: its YAML aliases (*name) repeat anchored values (&name)`)
    expect(failure.message).toContain('billion laughs')
    expect(failure.hint).toContain('a request form needs no anchors (&name) or aliases (*name)')
  })

  it('a missing form file is an error with a hint', async () => {
    const failure = (await readForm(join(dir, 'nope.yaml')).catch((e: unknown) => e)) as CliError
    expect(failure.code).toBe('ERR_FORM')
    expect(failure.hint).toContain('pocnet request template')
  })

  it('an attachment is named by the SHA-256 of its bytes, its name and size', async () => {
    const file = join(dir, 'headers.eml')
    const bytes = Buffer.from('Received: from example.org\r\n\r\nhello')
    await writeFile(file, bytes)
    const a = await attachmentOf(file)
    expect(a).toEqual({
      name: 'headers.eml',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
    })
    await expect(attachmentOf(join(dir, 'missing.bin'))).rejects.toThrow(/cannot read attachment/)
  })
})
