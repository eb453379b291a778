import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  MlDsa44Signer,
  NodeIdentity,
  PassphraseKeys,
  readKeyFile,
  readMlDsaKeyFile,
  writeKeyFile,
  writeMlDsaKeyFile,
} from '@pocnet/crypto'
import { testContact } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_DIR } from '../src/constants.ts'
import { initNode } from '../src/init.ts'
import { readMlDsaWitnessKey, shareNodeKeySalt } from '../src/ml-dsa-witness-key.ts'
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

const OTHER_COST = { log2N: 11, r: 8, p: 1 }
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

describe('a start gives key files sealed apart one salt', () => {
  it("seals the witness key again under node.key's salt, deriving nothing more; then leaves it", async () => {
    const dataDir = join(dir, 'apart')
    await mkdir(dataDir)
    const nodeKey = join(dataDir, DATA_DIR.key)
    const witnessKey = join(dataDir, DATA_DIR.mlDsaWitnessKey)
    await writeKeyFile(nodeKey, NodeIdentity.generate(), PASSPHRASE, FAST)
    const signer = MlDsa44Signer.generate()
    await writeMlDsaKeyFile(witnessKey, signer, PASSPHRASE, FAST)
    expect(await saltOf(witnessKey)).not.toBe(await saltOf(nodeKey))

    const keys = new PassphraseKeys(PASSPHRASE)
    await Promise.all([readKeyFile(nodeKey, keys), readMlDsaWitnessKey(dataDir, keys)])
    expect(keys.scryptRuns).toBe(2)
    expect(await shareNodeKeySalt(dataDir, keys, signer)).toBe(true)
    expect(keys.scryptRuns).toBe(2)
    expect(await saltOf(witnessKey)).toBe(await saltOf(nodeKey))
    expect((await stat(witnessKey)).mode & 0o777).toBe(0o600)
    expect((await readMlDsaKeyFile(witnessKey, PASSPHRASE)).publicKey).toEqual(signer.publicKey)
    expect(await shareNodeKeySalt(dataDir, keys, signer)).toBe(false)
    await keys.dispose()
  })

  it('leaves a witness key sealed at another cost as it is, so its cost is never lowered', async () => {
    const dataDir = join(dir, 'other-cost')
    await mkdir(dataDir)
    await writeKeyFile(join(dataDir, DATA_DIR.key), NodeIdentity.generate(), PASSPHRASE, FAST)
    const signer = MlDsa44Signer.generate()
    const witnessKey = join(dataDir, DATA_DIR.mlDsaWitnessKey)
    await writeMlDsaKeyFile(witnessKey, signer, PASSPHRASE, OTHER_COST)
    const before = await readFile(witnessKey)
    const keys = new PassphraseKeys(PASSPHRASE)
    expect(await shareNodeKeySalt(dataDir, keys, signer)).toBe(false)
    expect(await readFile(witnessKey)).toEqual(before)
    await keys.dispose()
  })
})
