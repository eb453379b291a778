import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassphraseKeys } from '@pocnet/crypto'
import { testContact } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_DIR } from '../src/constants.ts'
import { initNode } from '../src/init.ts'
import { readMlDsaWitnessKey } from '../src/ml-dsa-witness-key.ts'
import { readRetiredKey, rotateNodeKey } from '../src/retired-keys.ts'

// The node's key files share a salt, so a start opens them with one scrypt run (passphrase-keys.ts).

const FAST = { log2N: 10, r: 8, p: 1 }
const PASSPHRASE = 'correct horse battery staple'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocnet-salt-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const saltOf = async (file: string) => Buffer.from((await readFile(file)).subarray(9, 25)).toString('hex')

describe('the salt of the key files', () => {
  it('init seals node.key and witness-mldsa.key under one salt; a rotation keeps it', async () => {
    const dataDir = join(dir, 'FR')
    const init = await initNode({
      dataDir,
      network: 'pocnet-test',
      country: 'FR',
      name: 'FR test node',
      passphrase: PASSPHRASE,
      contact: testContact('FR'),
      scrypt: FAST,
    })
    const nodeKey = join(dataDir, DATA_DIR.key)
    const witnessKey = join(dataDir, DATA_DIR.mlDsaWitnessKey)
    const salt = await saltOf(nodeKey)
    expect(await saltOf(witnessKey)).toBe(salt)
    for (const file of [nodeKey, witnessKey]) expect((await stat(file)).mode & 0o777).toBe(0o600)

    // as `pocnet key rotate` does: the witness key read first, the new node.key takes its salt
    const keys = new PassphraseKeys(PASSPHRASE)
    const signer = await readMlDsaWitnessKey(dataDir, keys)
    const rotated = await rotateNodeKey({ dataDir, passphrase: keys, scrypt: FAST })
    expect(keys.scryptRuns).toBe(1)
    await keys.dispose()
    expect(signer?.publicKey).toEqual(init.memberDescriptor.mlDsaWitnessKey)
    expect(await saltOf(nodeKey)).toBe(salt)

    // the next start's reads: one run for the three files, each opening to its own key
    const opening = new PassphraseKeys(PASSPHRASE)
    const retired = await readRetiredKey(dataDir, init.identity.signingPublicKey, opening)
    expect(retired?.secrets).toEqual(init.identity.secrets)
    expect((await readMlDsaWitnessKey(dataDir, opening))?.publicKey).toEqual(signer?.publicKey)
    expect(opening.scryptRuns).toBe(1)
    expect(rotated.current.signingPublicKey).not.toEqual(init.identity.signingPublicKey)
  })
})
