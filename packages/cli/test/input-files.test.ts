import { execFileSync } from 'node:child_process'
import { access, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKUP_MANIFEST, BACKUP_MANIFEST_FILE } from '../src/commands/backup.ts'
import { MAX_FORM_FILE_BYTES } from '../src/commands/cases/forms.ts'
import { MAX_EVIDENCE_FILE_BYTES, witnessedCheckpoints } from '../src/evidence-file.ts'
import { CliError, Context, readForm } from '../src/index.ts'
import { runCliOffline } from './fixtures/offline.ts'

// Issue 21 item 7: a file the user names is refused by its size before it is read.

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-input-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A file of `size` bytes that takes no disk space (a hole), as a huge file would be. */
async function sparseFile(name: string, size: number): Promise<string> {
  const path = join(dir, name)
  const handle = await open(path, 'w')
  await handle.truncate(size)
  await handle.close()
  return path
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const thrown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(thrown).toBeInstanceOf(CliError)
  return thrown as CliError
}

describe('files refused by their size', () => {
  it('a request form one byte over the limit is refused with its size and the limit', async () => {
    // valid YAML (all comment): only its size is wrong
    const path = join(dir, 'big.yaml')
    const line = `# ${'x'.repeat(1021)}\n`
    const lines = Math.ceil((MAX_FORM_FILE_BYTES + 1) / line.length)
    const text = `${line.repeat(lines).slice(0, MAX_FORM_FILE_BYTES)}\n`
    await writeFile(path, text)
    const e = await failure(readForm(path))
    expect(e.code).toBe('ERR_FORM')
    expect(e.message).toBe(
      `${path}: this request form is 4.0 MiB (4194305 bytes), and no request form is larger than 4 MiB (4194304 bytes): a form's data goes in one envelope of at most 1 MiB`,
    )
    expect(e.hint).toContain(path)
  })

  it('a 60 MB request form is refused at once, unread', async () => {
    const path = await sparseFile('huge.yaml', 60 * 1024 * 1024)
    const e = await failure(readForm(path))
    expect(e.message).toContain('is 60 MiB (62914560 bytes)')
    expect(e.message).toContain('larger than 4 MiB')
  })

  it('a folder given as a form is named as such', async () => {
    const e = await failure(readForm(dir))
    expect(e.code).toBe('ERR_FORM')
    expect(e.message).toBe(`cannot read request form ${dir} (EISDIR)`)
  })

  it('a pipe (`--token-file <(...)`) is read up to its limit', async () => {
    const fifo = join(dir, 'token.fifo')
    execFileSync('mkfifo', [fifo])
    // the writer of a pipe the reader stops reading ends with EPIPE: expected here
    const writing = writeFile(fifo, 'pn_abc\n').catch(() => {})
    expect(await new Context({ tokenFile: fifo }, {}).token()).toBe('pn_abc')
    await writing
    const flooding = writeFile(fifo, 'x'.repeat(4096)).catch(() => {})
    const e = await failure(new Context({ tokenFile: fifo }, {}).token())
    await flooding
    expect(e.message).toBe(
      `${fifo}: this token file is over 1 KiB, and no token file is larger than 1 KiB (1024 bytes): a token is one line of 46 characters (pn_ and 43 of base64url)`,
    )
  })

  it('an evidence file over its limit is a usage error with its size and the limit', async () => {
    const path = await sparseFile('evidence.json', MAX_EVIDENCE_FILE_BYTES + 1)
    const e = await failure(witnessedCheckpoints(path, []))
    expect(e.code).toBe('ERR_EVIDENCE')
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain(`(${MAX_EVIDENCE_FILE_BYTES + 1} bytes)`)
    expect(e.message).toContain(`no evidence file is larger than 8 MiB (${MAX_EVIDENCE_FILE_BYTES} bytes)`)
  })

  it('a token file over 1 KiB is refused before it is read', async () => {
    const path = await sparseFile('token', 2048)
    const e = await failure(new Context({ tokenFile: path }, {}).token())
    expect(e.code).toBe('ERR_TOKEN_FILE')
    expect(e.message).toContain('is 2 KiB (2048 bytes)')
  })

  it('restore refuses a backup manifest one byte over its limit, and touches no data directory', async () => {
    const backup = join(dir, 'backup')
    await mkdir(backup)
    const handle = await open(join(backup, BACKUP_MANIFEST), 'w')
    await handle.truncate(BACKUP_MANIFEST_FILE.maxBytes + 1)
    await handle.close()
    const home = join(dir, 'restored-node')
    const run = runCliOffline(dir, ['restore', '--from', backup], home)
    expect(run.status).toBe(1)
    expect(run.stderr).toBe(
      `error: ${join(backup, BACKUP_MANIFEST)}: this backup manifest is 64.0 MiB (67108865 bytes), and no backup manifest is larger than 64 MiB (67108864 bytes): it lists each file of the backup in about 160 bytes, room for 400,000 files\nhint: give the folder \`pocnet backup --out\` wrote\n`,
    )
    await expect(access(home)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
