import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UserStore } from '../../src/index.ts'

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
})
