import { FileTooLargeError, readFileWithin } from './bounded-file.ts'
import { KeyFileError } from './errors.ts'
import { writeFileAtomic } from './keyfile.ts'
import { ML_DSA_44_SEED_LENGTH, MlDsa44Signer } from './ml-dsa.ts'
import type { Passphrase } from './passphrase-keys.ts'
import {
  DEFAULT_SCRYPT,
  openSealedSecrets,
  type ScryptParameters,
  type SealedFileFormat,
  sealedFileLength,
  sealSecrets,
} from './sealed-file.ts'

/*
 * A witness's ML-DSA-44 key, encrypted at rest like the node key but in a file of its own, so the
 * node key file keeps its format: the layout of sealed-file.ts under the magic "PNWK", 130 bytes.
 * Plaintext, version 1: 0x01 ‖ ML-DSA-44 seed (32).
 */
const ML_DSA_KEY_FILE: SealedFileFormat = {
  magic: new TextEncoder().encode('PNWK'),
  plaintextLengths: { 1: 1 + ML_DSA_44_SEED_LENGTH },
  currentVersion: 1,
}
export const ML_DSA_KEY_FILE_LENGTH = sealedFileLength(ML_DSA_KEY_FILE, 1)

/** Encodes an ML-DSA-44 witness key as key-file bytes, encrypted under `passphrase` (sealSecrets: `salt`). */
export async function encodeMlDsaKeyFile(
  signer: MlDsa44Signer,
  passphrase: Passphrase,
  params: ScryptParameters = DEFAULT_SCRYPT,
  salt?: Uint8Array,
): Promise<Uint8Array> {
  const plaintext = new Uint8Array(ML_DSA_KEY_FILE.plaintextLengths[1]!)
  plaintext[0] = 1
  plaintext.set(signer.seed, 1)
  try {
    return await sealSecrets(ML_DSA_KEY_FILE, plaintext, passphrase, params, salt)
  } finally {
    plaintext.fill(0)
  }
}

/** Decodes ML-DSA-44 key-file bytes; every failure is a KeyFileError naming the problem. */
export async function decodeMlDsaKeyFile(
  bytes: Uint8Array,
  passphrase: Passphrase,
  path = '<ML-DSA-44 key file>',
): Promise<MlDsa44Signer> {
  const plaintext = await openSealedSecrets(ML_DSA_KEY_FILE, bytes, passphrase, path)
  const signer = new MlDsa44Signer(plaintext.slice(1))
  plaintext.fill(0)
  return signer
}

/** Encrypts the ML-DSA-44 key under `passphrase` and writes it to `path` (0600, atomic). */
export async function writeMlDsaKeyFile(
  path: string,
  signer: MlDsa44Signer,
  passphrase: Passphrase,
  params: ScryptParameters = DEFAULT_SCRYPT,
  salt?: Uint8Array,
): Promise<void> {
  await writeFileAtomic(path, await encodeMlDsaKeyFile(signer, passphrase, params, salt), 0o600)
}

/**
 * Reads and decrypts an ML-DSA-44 key file; a missing file is KeyFileError 'not-found', a file
 * longer than any such key file is refused unread ('corrupted').
 */
export async function readMlDsaKeyFile(path: string, passphrase: Passphrase): Promise<MlDsa44Signer> {
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(
      await readFileWithin(path, {
        what: 'ML-DSA-44 key file',
        maxBytes: ML_DSA_KEY_FILE_LENGTH,
        why: `an ML-DSA-44 key file is always ${ML_DSA_KEY_FILE_LENGTH} bytes`,
      }),
    )
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new KeyFileError('corrupted', path)
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeyFileError('not-found', path)
    throw err
  }
  return decodeMlDsaKeyFile(bytes, passphrase, path)
}
