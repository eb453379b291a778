import { describe, expect, it } from 'vitest'
import {
  decodeKeyFile,
  decodeMlDsaKeyFile,
  encodeKeyFile,
  encodeMlDsaKeyFile,
  KeyFileError,
  MlDsa44Signer,
  NodeIdentity,
  PassphraseKeys,
} from '../src/index.ts'

const FAST = { log2N: 10, r: 8, p: 1 }
const OTHER = { log2N: 11, r: 8, p: 1 }
const PASSPHRASE = 'correct horse battery staple'
const saltOf = (file: Uint8Array) => Buffer.from(file.subarray(9, 25)).toString('hex')
const nonceOf = (file: Uint8Array) => Buffer.from(file.subarray(25, 49)).toString('hex')

describe('PassphraseKeys: key files sealed together share one scrypt run', () => {
  it('seals a node key and an ML-DSA-44 key with one salt, each with its own nonce, in one run', async () => {
    const identity = NodeIdentity.generate()
    const signer = MlDsa44Signer.generate()
    const keys = new PassphraseKeys(PASSPHRASE)
    const nodeKey = await encodeKeyFile(identity, keys, FAST)
    const witnessKey = await encodeMlDsaKeyFile(signer, keys, FAST)
    expect(keys.scryptRuns).toBe(1)
    expect(saltOf(witnessKey)).toBe(saltOf(nodeKey))
    expect(nonceOf(witnessKey)).not.toBe(nonceOf(nodeKey))
    await keys.dispose()

    // opened together: one run; each alone, with the passphrase string, as before
    const opening = new PassphraseKeys(PASSPHRASE)
    const [opened, openedSigner] = await Promise.all([
      decodeKeyFile(nodeKey, opening),
      decodeMlDsaKeyFile(witnessKey, opening),
    ])
    expect(opening.scryptRuns).toBe(1)
    expect(opened.signingPublicKey).toEqual(identity.signingPublicKey)
    expect(openedSigner.publicKey).toEqual(signer.publicKey)
    expect((await decodeMlDsaKeyFile(witnessKey, PASSPHRASE)).publicKey).toEqual(signer.publicKey)
  })

  it('derives once per distinct salt and parameters: files sealed apart, or at another cost, take their own run', async () => {
    const apart = [
      await encodeKeyFile(NodeIdentity.generate(), PASSPHRASE, FAST),
      await encodeMlDsaKeyFile(MlDsa44Signer.generate(), PASSPHRASE, FAST),
    ]
    expect(saltOf(apart[1]!)).not.toBe(saltOf(apart[0]!))
    const keys = new PassphraseKeys(PASSPHRASE)
    await decodeKeyFile(apart[0]!, keys)
    await decodeMlDsaKeyFile(apart[1]!, keys)
    expect(keys.scryptRuns).toBe(2)
    // a file sealed at another cost never takes a salt derived at this one
    const costlier = await encodeKeyFile(NodeIdentity.generate(), keys, OTHER)
    expect(keys.scryptRuns).toBe(3)
    expect(costlier[6]).toBe(OTHER.log2N)
    expect([saltOf(apart[0]!), saltOf(apart[1]!)]).not.toContain(saltOf(costlier))
  })

  it('a wrong passphrase is still refused as such through keys', async () => {
    const file = await encodeKeyFile(NodeIdentity.generate(), PASSPHRASE, FAST)
    const wrong = new PassphraseKeys('not the passphrase at all')
    const thrown = await decodeKeyFile(file, wrong).catch((e: unknown) => e)
    expect(thrown).toBeInstanceOf(KeyFileError)
    expect((thrown as KeyFileError).problem).toBe('wrong-passphrase')
    await expect(encodeKeyFile(NodeIdentity.generate(), new PassphraseKeys(''), FAST)).rejects.toThrow(
      /must not be empty/,
    )
  })
})
