import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity, writeKeyFile } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_DIR } from '../src/constants.ts'
import { readRetiredKey, rotateNodeKey } from '../src/retired-keys.ts'

const FAST = { log2N: 10, r: 8, p: 1 }
const PASSPHRASE = 'correct horse battery staple'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-retired-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('key rotation and the X-Wing key', () => {
  it('rotates the X-Wing key with the node key and keeps the old one, encrypted, with the retired key', async () => {
    const old = NodeIdentity.generate()
    await writeKeyFile(join(dir, DATA_DIR.key), old, PASSPHRASE, FAST)
    const rotated = await rotateNodeKey({ dataDir: dir, passphrase: PASSPHRASE, scrypt: FAST })
    expect(rotated.current.kemPublicKey).toBeDefined()
    expect(rotated.current.kemPublicKey).not.toEqual(old.kemPublicKey)
    expect((await stat(rotated.retiredFile)).mode & 0o777).toBe(0o600)
    const kept = await readRetiredKey(dir, old.signingPublicKey, PASSPHRASE)
    expect(kept?.kemPublicKey).toEqual(old.kemPublicKey)
    expect(kept?.secrets).toEqual(old.secrets)
  })
})
