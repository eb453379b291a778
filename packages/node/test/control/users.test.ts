import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsersFileError } from '../../src/errors.ts'
import { UserStore } from '../../src/index.ts'

/** What UserStore.open throws on a data directory whose users.json holds `text`. */
async function openError(text: string): Promise<UsersFileError & { file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
  try {
    const file = join(dir, 'users.json')
    await writeFile(file, text, { mode: 0o600 })
    const err = await UserStore.open(dir).then(
      () => undefined,
      (e: unknown) => e,
    )
    if (!(err instanceof UsersFileError)) throw new Error(`expected a UsersFileError, got ${String(err)}`)
    return Object.assign(err, { file })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('local users', () => {
  it('stores tokens only as hashes, 0600, and authenticates them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
    try {
      const store = await UserStore.open(dir)
      const token = await store.add('cp1', 'contact')
      const file = join(dir, 'users.json')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect(await readFile(file, 'utf8')).not.toContain(token)
      const reopened = await UserStore.open(dir)
      expect(reopened.authenticate(token)?.name).toBe('cp1')
      expect(reopened.authenticate(`${token}x`)).toBeUndefined()
      await reopened.remove('cp1')
      expect(reopened.authenticate(token)).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses bad names, unknown roles and duplicates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
    try {
      const store = await UserStore.open(dir)
      await expect(store.add('Bad Name', 'contact')).rejects.toThrow(/user name/)
      await expect(store.add('x', 'root' as 'operator')).rejects.toThrow(/role/)
      await store.add('x', 'auditor')
      await expect(store.add('x', 'auditor')).rejects.toThrow(/already exists/)
      await expect(store.remove('y')).rejects.toThrow(/no user/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  // The node replaces users.json atomically, so only a damaged disk or a hand edit breaks it: the
  // start must then stop naming the file and what to do, not with "Unexpected end of JSON input".
  it.each([
    ['empty', ''],
    ['cut short', '[\n  {\n    "name": "operator",\n    "ro'],
    ['not JSON', '{ not json'],
  ])('a users.json %s is refused naming the file, the problem and what to do', async (_, text) => {
    const err = await openError(text)
    expect(err.code).toBe('ERR_USERS_FILE')
    expect(err.path).toBe(err.file)
    expect(err.problem).toMatch(/^not valid JSON: /)
    expect(err.message).toContain(`${err.file}: the local users cannot be read (not valid JSON: `)
    expect(err.message).toContain('restore users.json from a backup')
    expect(err.message).toContain('pocnet --data-dir <new dir> init')
  })
})
