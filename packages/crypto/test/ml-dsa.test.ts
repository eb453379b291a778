import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  decodeMlDsaKeyFile,
  encodeMlDsaKeyFile,
  InvalidKeyError,
  ML_DSA_44_PUBLIC_KEY_LENGTH,
  ML_DSA_44_SIGNATURE_LENGTH,
  ML_DSA_KEY_FILE_LENGTH,
  MlDsa44Signer,
  readMlDsaKeyFile,
  verifyMlDsa44,
  writeMlDsaKeyFile,
} from '../src/index.ts'

const message = new TextEncoder().encode('subtree/v1\n\0 a message')

describe('ML-DSA-44 signatures', () => {
  it('sign and verify; a signer rebuilt from its seed has the same public key', () => {
    const signer = MlDsa44Signer.generate()
    expect(signer.publicKey).toHaveLength(ML_DSA_44_PUBLIC_KEY_LENGTH)
    const signature = signer.sign(message)
    expect(signature).toHaveLength(ML_DSA_44_SIGNATURE_LENGTH)
    expect(verifyMlDsa44(message, signature, signer.publicKey)).toBe(true)
    expect(new MlDsa44Signer(signer.seed).publicKey).toEqual(signer.publicKey)
  })

  it('say false, never throw, on a wrong key, message, or length', () => {
    const signer = MlDsa44Signer.generate()
    const signature = signer.sign(message)
    expect(verifyMlDsa44(message, signature, MlDsa44Signer.generate().publicKey)).toBe(false)
    expect(verifyMlDsa44(message.subarray(1), signature, signer.publicKey)).toBe(false)
    expect(verifyMlDsa44(message, signature.subarray(1), signer.publicKey)).toBe(false)
    expect(verifyMlDsa44(message, signature, signer.publicKey.subarray(1))).toBe(false)
    expect(verifyMlDsa44(message, new Uint8Array(ML_DSA_44_SIGNATURE_LENGTH), signer.publicKey)).toBe(false)
  })

  it('refuse a seed of the wrong length', () => {
    expect(() => new MlDsa44Signer(new Uint8Array(31))).toThrow(InvalidKeyError)
    expect(() => new MlDsa44Signer(new Uint8Array(31))).toThrow(/an ML-DSA-44 seed is 32 bytes/)
  })
})

describe('the ML-DSA-44 key file', () => {
  const FAST = { log2N: 10, r: 8, p: 1 }

  it('round-trips under its passphrase, written 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-mldsa-key-'))
    try {
      const signer = MlDsa44Signer.generate()
      const path = join(dir, 'witness-mldsa.key')
      await writeMlDsaKeyFile(path, signer, 'pass', FAST)
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect((await readMlDsaKeyFile(path, 'pass')).publicKey).toEqual(signer.publicKey)
      await expect(readMlDsaKeyFile(path, 'wrong')).rejects.toMatchObject({ problem: 'wrong-passphrase' })
      await expect(readMlDsaKeyFile(join(dir, 'none'), 'pass')).rejects.toMatchObject({
        problem: 'not-found',
      })
      // a longer file is no ML-DSA-44 key file: refused unread
      await writeFile(join(dir, 'long.key'), new Uint8Array(ML_DSA_KEY_FILE_LENGTH + 1))
      await expect(readMlDsaKeyFile(join(dir, 'long.key'), 'pass')).rejects.toMatchObject({
        problem: 'corrupted',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('tells a damaged or truncated file from a wrong passphrase', async () => {
    const bytes = await encodeMlDsaKeyFile(MlDsa44Signer.generate(), 'pass', FAST)
    expect(bytes).toHaveLength(ML_DSA_KEY_FILE_LENGTH)
    const damaged = bytes.slice()
    damaged[60]! ^= 1
    await expect(decodeMlDsaKeyFile(damaged, 'pass')).rejects.toMatchObject({ problem: 'corrupted' })
    await expect(decodeMlDsaKeyFile(bytes.subarray(0, 100), 'pass')).rejects.toMatchObject({
      problem: 'truncated',
    })
  })
})
