import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { byteSize, FileTooLargeError, readFileWithin } from '../src/index.ts'

const note = { what: 'note', maxBytes: 16, why: 'a note is one short line' }

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-bounded-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('readFileWithin', () => {
  it('reads a file of the limit whole', async () => {
    const path = join(dir, 'full')
    await writeFile(path, 'x'.repeat(16))
    expect((await readFileWithin(path, note)).toString()).toBe('x'.repeat(16))
  })

  it('refuses a file one byte over the limit with its size, the limit and why', async () => {
    const path = join(dir, 'over')
    await writeFile(path, 'x'.repeat(17))
    const thrown = await readFileWithin(path, note).catch((e: unknown) => e)
    expect(thrown).toBeInstanceOf(FileTooLargeError)
    expect(thrown).toMatchObject({
      code: 'ERR_FILE_TOO_LARGE',
      path,
      size: 17,
      maxBytes: 16,
      message: `${path}: this note is 17 bytes, and no note is larger than 16 bytes: a note is one short line`,
    })
  })

  it('refuses a huge file unread: its size is all that is looked at', async () => {
    const path = join(dir, 'huge')
    const handle = await open(path, 'w')
    await handle.truncate(2 ** 32) // a hole: no disk, and more than a Buffer may hold
    await handle.close()
    await expect(readFileWithin(path, note)).rejects.toThrow('this note is 4096 MiB (4294967296 bytes)')
  })

  it("leaves a missing file's error to the caller", async () => {
    await expect(readFileWithin(join(dir, 'absent'), note)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('says sizes in bytes, KiB and MiB', () => {
    expect([900, 4096, 1536, 4 * 2 ** 20, 60 * 2 ** 20 + 1].map(byteSize)).toEqual([
      '900 bytes',
      '4 KiB',
      '1.5 KiB',
      '4 MiB',
      '60.0 MiB',
    ])
  })
})
