import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DirectoryMemory, FileDirectoryStore } from '../src/index.ts'

describe('DirectoryMemory', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('never lowers the highest seq it has seen', async () => {
    const memory = await DirectoryMemory.open()
    memory.observeSeq('FR', 9)
    memory.observeSeq('FR', 4)
    expect(memory.highestSeq('FR')).toBe(9)
    expect(memory.highestSeq('DE')).toBe(0)
  })

  it('persists seqs and cached records to a 0600 JSON file and reads them back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-dir-'))
    dirs.push(dir)
    const path = join(dir, 'directory.json')
    const first = await DirectoryMemory.open(new FileDirectoryStore(path))
    first.cache('FR', 12, { bytes: new Uint8Array([1, 2, 3]), fetchedAt: 1000 })
    first.observeSeq('DE', 3)
    await first.flush()
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(path, 'utf8')).format).toBe('pocnet-directory-state/1')

    const second = await DirectoryMemory.open(new FileDirectoryStore(path))
    expect(second.highestSeq('FR')).toBe(12)
    expect(second.highestSeq('DE')).toBe(3)
    expect(second.cached('FR')).toEqual({ bytes: new Uint8Array([1, 2, 3]), fetchedAt: 1000 })
  })

  it('starts empty when the file does not exist yet', async () => {
    const memory = await DirectoryMemory.open(new FileDirectoryStore(join(tmpdir(), 'pocnet-none', 'x.json')))
    expect(memory.cachedCountries()).toEqual([])
  })

  it('reports a failed save from flush()', async () => {
    const memory = await DirectoryMemory.open(new FileDirectoryStore(join(tmpdir(), 'pocnet-none', 'x.json')))
    memory.observeSeq('FR', 1)
    await expect(memory.flush()).rejects.toThrow(/ENOENT/)
  })
})
