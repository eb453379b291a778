import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { writeAtomically, writeFileAtomic } from '@pocnet/crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UserStore } from '../src/control/users.ts'

// The node rewrites users.json, roster.cbor, directory.json and config.json whole, each time
// from its state in memory: the last write asked for must be the one left on disk. Two writes of
// one file used to race (each its own temporary file, renamed whenever its fsync ended), so an
// earlier, slower write could land last: a removed user back after a restart, an added user's
// token gone, an older roster chain in roster.cbor.
describe('writeAtomically: writes of one path land in the order they were asked for', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-atomic-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a slow earlier write never replaces a later one', async () => {
    const path = join(dir, 'state.json')
    const gate = Promise.withResolvers<void>()
    const first = writeAtomically(path, async (fh) => {
      await gate.promise
      await fh.writeFile('first')
    })
    const second = writeFileAtomic(path, new TextEncoder().encode('second'))
    await sleep(200)
    gate.resolve()
    await Promise.all([first, second])
    expect(await readFile(path, 'utf8')).toBe('second')
    expect(await readdir(dir)).toEqual(['state.json']) // no temporary file left behind
  })

  it('a failed write does not hold up or undo the next one', async () => {
    const path = join(dir, 'state.json')
    const failing = writeAtomically(path, async () => {
      throw new Error('disk full')
    })
    const next = writeFileAtomic(path, new TextEncoder().encode('next'))
    await expect(failing).rejects.toThrow('disk full')
    await next
    expect(await readFile(path, 'utf8')).toBe('next')
    expect(await readdir(dir)).toEqual(['state.json'])
  })

  it('users added and removed at once are all on disk as in memory', async () => {
    const store = await UserStore.open(dir)
    const names = Array.from({ length: 30 }, (_, i) => `user${i}`)
    await Promise.all(names.map((n) => store.add(n, 'contact')))
    await Promise.all(names.filter((_, i) => i % 2 === 0).map((n) => store.remove(n)))
    const reopened = await UserStore.open(dir)
    expect(reopened.list().map((u) => u.name)).toEqual(store.list().map((u) => u.name))
    expect(reopened.list()).toHaveLength(15)
  })
})
