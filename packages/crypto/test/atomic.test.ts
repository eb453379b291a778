import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeAtomically, writeFileAtomic } from '../src/index.ts'

describe('atomic file writes', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-atomic-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('replaces the file whole, mode 0600, leaving no temporary file', async () => {
    const path = join(dir, 'config.json')
    await writeFile(path, 'old')
    await writeFileAtomic(path, new TextEncoder().encode('new'))
    expect(await readFile(path, 'utf8')).toBe('new')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['config.json'])
  })

  it('writes piece by piece, and on a failure midway leaves the old file and no temporary file', async () => {
    const path = join(dir, 'export.pnlb')
    await writeAtomically(path, async (fh) => {
      await fh.write('part one, ')
      await fh.write('part two')
    })
    expect(await readFile(path, 'utf8')).toBe('part one, part two')

    const failure = writeAtomically(path, async (fh) => {
      await fh.write('half a bund')
      throw new Error('the ledger closed')
    })
    await expect(failure).rejects.toThrow('the ledger closed')
    expect(await readFile(path, 'utf8')).toBe('part one, part two')
    expect(await readdir(dir)).toEqual(['export.pnlb'])
  })
})
