import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
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

  // Anything but an array of users used to be taken, and then every authentication threw (a
  // TypeError on `{}`), or a hand edit passed unseen; the first bad field is named.
  const user = (i: number, fields: Record<string, unknown> = {}) => ({
    name: `user${i}`,
    role: 'contact',
    tokenHash: String(i).repeat(64),
    createdAt: 1_764_000_000_000 + i,
    ...fields,
  })
  const users = (...list: unknown[]) => JSON.stringify(list)
  it.each([
    ['{}', 'the content must be an array of users, not an object'],
    ['null', 'the content must be an array of users, not null'],
    ['"operator"', 'the content must be an array of users, not a string'],
    [users(user(0), 7), '[1] must be a user (an object with name, role, tokenHash, createdAt), not a number'],
    [
      users(user(0), [user(1)]),
      '[1] must be a user (an object with name, role, tokenHash, createdAt), not an array',
    ],
    [users(user(0), { ...user(1), role: undefined }), '[1].role is missing'],
    [
      users(user(0), user(1, { name: 'Bad Name' })),
      '[1].name must be 1-32 characters of a-z, 0-9, ".", "_" and "-", the first a letter or digit',
    ],
    [
      users(user(0), user(1, { name: 42 })),
      '[1].name must be 1-32 characters of a-z, 0-9, ".", "_" and "-", the first a letter or digit',
    ],
    [
      users(user(0), user(1), user(2, { role: 'root' })),
      '[2].role must be one of operator, contact, auditor, supervisor, investigator',
    ],
    [
      users(user(0, { tokenHash: 'ab'.repeat(16) })),
      '[0].tokenHash must be 64 lowercase hex digits (the SHA-256 of the token)',
    ],
    [
      users(user(0, { tokenHash: 'AB'.repeat(32) })),
      '[0].tokenHash must be 64 lowercase hex digits (the SHA-256 of the token)',
    ],
    [
      users(user(0, { tokenHash: 7 })),
      '[0].tokenHash must be 64 lowercase hex digits (the SHA-256 of the token)',
    ],
    [
      users(user(0, { createdAt: '2026-11-29' })),
      '[0].createdAt must be a time in milliseconds since 1970 (a whole number, 0 or more)',
    ],
    [
      users(user(0, { createdAt: -1 })),
      '[0].createdAt must be a time in milliseconds since 1970 (a whole number, 0 or more)',
    ],
    [
      users(user(0, { token: 'pn_x' })),
      '[0].token is not a field of a user (name, role, tokenHash, createdAt, expiresAt)',
    ],
    [
      users(user(0, { expiresAt: 'in 90 days' })),
      '[0].expiresAt must be a time in milliseconds since 1970 (a whole number, 0 or more), or absent',
    ],
    [users(user(0), user(1), user(2, { name: 'user0' })), '[2].name "user0" is also that of [0]'],
    [
      users(user(0), user(1, { tokenHash: user(0).tokenHash })),
      '[1].tokenHash is also that of [0] (one token for two users)',
    ],
  ])('users.json %s is refused: %s', async (text, problem) => {
    const err = await openError(text)
    expect(err.code).toBe('ERR_USERS_FILE')
    expect(err.problem).toBe(problem)
    expect(err.message).toContain(`${err.file}: the local users cannot be read (${problem}): restore`)
  })

  it('keeps a token expiry, and rotation replaces the token at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
    try {
      const store = await UserStore.open(dir)
      const expiresAt = Date.now() + 86_400_000
      const first = await store.add('desk', 'contact', expiresAt)
      expect(store.authenticate(first)?.expiresAt).toBe(expiresAt)
      const second = await store.rotate('desk')
      expect(second).not.toBe(first)
      expect(store.authenticate(first)).toBeUndefined()
      const reopened = await UserStore.open(dir)
      expect(reopened.authenticate(first)).toBeUndefined()
      // rotated without an expiry, the new token has none
      expect(reopened.authenticate(second)).toMatchObject({ name: 'desk', role: 'contact' })
      expect(reopened.authenticate(second)?.expiresAt).toBeUndefined()
      const third = await reopened.rotate('desk', expiresAt)
      expect((await UserStore.open(dir)).authenticate(third)?.expiresAt).toBe(expiresAt)
      await expect(reopened.rotate('nobody')).rejects.toMatchObject({ code: 'ERR_USER_UNKNOWN' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes a well-formed users.json, and an empty list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
    try {
      await writeFile(join(dir, 'users.json'), '[]')
      expect((await UserStore.open(dir)).list()).toEqual([])
      const store = await UserStore.open(dir)
      const token = await store.add('op', 'operator')
      await store.add('oversight', 'auditor')
      const reopened = await UserStore.open(dir)
      expect(reopened.list().map((u) => [u.name, u.role])).toEqual([
        ['op', 'operator'],
        ['oversight', 'auditor'],
      ])
      expect(reopened.authenticate(token)?.name).toBe('op')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  // add and remove changed memory before saving: after a failed save, a removal reported as
  // failed was in effect until the next restart, and an add reported as failed worked until then.
  // The save is made to fail for real by taking the data directory away while the store is open.
  describe('a change whose save fails is in effect neither in memory nor on disk', () => {
    /** Runs `change` with the store's data directory moved away, then puts it back. */
    async function withoutDir(dir: string, change: () => Promise<unknown>): Promise<unknown> {
      await rename(dir, `${dir}-away`)
      try {
        return await change().then(
          () => undefined,
          (e: unknown) => e,
        )
      } finally {
        await rename(`${dir}-away`, dir)
      }
    }

    it('remove', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
      try {
        const store = await UserStore.open(dir)
        const token = await store.add('cp1', 'contact')
        const err = await withoutDir(dir, () => store.remove('cp1'))
        expect((err as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT')
        // reported as failed: the token still works, in this node and after a restart
        expect(store.authenticate(token)?.name).toBe('cp1')
        expect(store.list().map((u) => u.name)).toEqual(['cp1'])
        expect((await UserStore.open(dir)).authenticate(token)?.name).toBe('cp1')
        // and a removal tried again works
        await store.remove('cp1')
        expect(store.authenticate(token)).toBeUndefined()
        expect((await UserStore.open(dir)).authenticate(token)).toBeUndefined()
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })

    it('add', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
      try {
        const store = await UserStore.open(dir)
        await store.add('op', 'operator')
        const err = await withoutDir(dir, () => store.add('cp1', 'contact'))
        expect((err as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT')
        // reported as failed: no such user, in this node and after a restart
        expect(store.list().map((u) => u.name)).toEqual(['op'])
        expect((await UserStore.open(dir)).list().map((u) => u.name)).toEqual(['op'])
        // so the same name can be added when the disk is back
        const token = await store.add('cp1', 'contact')
        expect((await UserStore.open(dir)).authenticate(token)?.name).toBe('cp1')
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })

    it('changes asked for at once run in that order, each from the state the one before left', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pocnet-users-'))
      try {
        const store = await UserStore.open(dir)
        const results = await Promise.allSettled([
          store.add('a', 'contact'),
          store.remove('a'),
          store.add('a', 'auditor'),
          store.add('a', 'operator'),
          store.remove('b'),
          store.add('b', 'operator'),
        ])
        expect(results.map((r) => r.status)).toEqual([
          'fulfilled',
          'fulfilled',
          'fulfilled',
          'rejected',
          'rejected',
          'fulfilled',
        ])
        const expected = [
          ['a', 'auditor'],
          ['b', 'operator'],
        ]
        expect(store.list().map((u) => [u.name, u.role])).toEqual(expected)
        expect((await UserStore.open(dir)).list().map((u) => [u.name, u.role])).toEqual(expected)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  })
})
