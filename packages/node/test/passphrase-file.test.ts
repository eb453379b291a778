import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PassphraseError } from '../src/errors.ts'
import { obtainPassphrase, PASSPHRASE_FILE } from '../src/passphrase.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-passphrase-file-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('POCNET_PASSPHRASE_FILE', () => {
  it('gives the file without its last line break', async () => {
    const path = join(dir, 'pass')
    await writeFile(path, 'correct horse\n')
    expect(await obtainPassphrase({ POCNET_PASSPHRASE_FILE: path })).toBe('correct horse')
  })

  it('takes a passphrase as long as the cap', async () => {
    const path = join(dir, 'long')
    await writeFile(path, 'p'.repeat(PASSPHRASE_FILE.maxBytes))
    expect(await obtainPassphrase({ POCNET_PASSPHRASE_FILE: path })).toHaveLength(PASSPHRASE_FILE.maxBytes)
  })

  // issue 21 item 7: a file larger than any passphrase is refused by its size, before it is read
  it('refuses a file one byte over the cap with its size and the cap', async () => {
    const path = join(dir, 'over')
    await writeFile(path, 'p'.repeat(PASSPHRASE_FILE.maxBytes + 1))
    const thrown = await obtainPassphrase({ POCNET_PASSPHRASE_FILE: path }).catch((e: unknown) => e)
    expect(thrown).toBeInstanceOf(PassphraseError)
    expect((thrown as Error).message).toBe(
      `POCNET_PASSPHRASE_FILE=${path}: this passphrase file is 4.0 KiB (4097 bytes), and no passphrase file is larger than 4 KiB (4096 bytes): it holds one line, the key passphrase`,
    )
  })

  it('refuses a huge file at once, unread', async () => {
    const path = join(dir, 'huge')
    const handle = await open(path, 'w')
    await handle.truncate(2 ** 32) // a hole: more than a Buffer may hold, were it read
    await handle.close()
    await expect(obtainPassphrase({ POCNET_PASSPHRASE_FILE: path })).rejects.toThrow(
      'this passphrase file is 4096 MiB (4294967296 bytes)',
    )
  })

  it('names a missing file', async () => {
    const path = join(dir, 'absent')
    await expect(obtainPassphrase({ POCNET_PASSPHRASE_FILE: path })).rejects.toThrow(
      `POCNET_PASSPHRASE_FILE=${path}: ENOENT`,
    )
  })
})
