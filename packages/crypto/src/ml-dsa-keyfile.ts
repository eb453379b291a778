import { randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import { FileTooLargeError, readFileWithin } from './bounded-file.ts'
import { KeyFileError } from './errors.ts'
import { bytesEqual, sha256 } from './hash.ts'
import { DEFAULT_SCRYPT, deriveKey, type ScryptParameters, withinLimits, writeFileAtomic } from './keyfile.ts'
import { ML_DSA_44_SEED_LENGTH, MlDsa44Signer } from './ml-dsa.ts'

/*
 * A witness's ML-DSA-44 key, encrypted at rest like the node key (keyfile.ts) but in a file of its
 * own, so the node key file keeps its format. Layout, 130 bytes:
 *   0  magic     "PNWK"
 *   4  version   u8 = 1
 *   5  kdf       u8 = 1 (scrypt)
 *   6  log2N, r, p
 *   9  salt      16 bytes
 *  25  nonce     24 bytes
 *  49  sealed    secretbox(scrypt(passphrase, salt), 0x01 ‖ ML-DSA-44 seed (32)) = 16 + 33 bytes
 *  98  checksum  SHA-256 of bytes 0..97
 */
const MAGIC = new TextEncoder().encode('PNWK')
const VERSION = 1
const KDF_SCRYPT = 1
const SALT_LENGTH = 16
const NONCE_LENGTH = nacl.secretbox.nonceLength
const PLAINTEXT_LENGTH = 1 + ML_DSA_44_SEED_LENGTH
const SEALED_LENGTH = PLAINTEXT_LENGTH + nacl.secretbox.overheadLength
const BODY_LENGTH = 9 + SALT_LENGTH + NONCE_LENGTH + SEALED_LENGTH
export const ML_DSA_KEY_FILE_LENGTH = BODY_LENGTH + 32

/** Encodes an ML-DSA-44 witness key as key-file bytes, encrypted under `passphrase`. */
export async function encodeMlDsaKeyFile(
  signer: MlDsa44Signer,
  passphrase: string,
  params: ScryptParameters = DEFAULT_SCRYPT,
): Promise<Uint8Array> {
  if (!withinLimits(params)) throw new RangeError('scrypt parameters outside the accepted range')
  if (passphrase.length === 0) throw new RangeError('the key passphrase must not be empty')
  const salt = new Uint8Array(randomBytes(SALT_LENGTH))
  const nonce = new Uint8Array(randomBytes(NONCE_LENGTH))
  const key = await deriveKey(passphrase, salt, params)
  const plaintext = new Uint8Array(PLAINTEXT_LENGTH)
  plaintext[0] = 1
  plaintext.set(signer.seed, 1)
  const sealed = nacl.secretbox(plaintext, nonce, key)
  plaintext.fill(0)
  key.fill(0)
  const out = new Uint8Array(ML_DSA_KEY_FILE_LENGTH)
  out.set(MAGIC, 0)
  out.set([VERSION, KDF_SCRYPT, params.log2N, params.r, params.p], 4)
  out.set(salt, 9)
  out.set(nonce, 9 + SALT_LENGTH)
  out.set(sealed, 9 + SALT_LENGTH + NONCE_LENGTH)
  out.set(sha256(out.subarray(0, BODY_LENGTH)), BODY_LENGTH)
  return out
}

/** Decodes ML-DSA-44 key-file bytes; every failure is a KeyFileError naming the problem. */
export async function decodeMlDsaKeyFile(
  bytes: Uint8Array,
  passphrase: string,
  path = '<ML-DSA-44 key file>',
): Promise<MlDsa44Signer> {
  if (bytes.length < ML_DSA_KEY_FILE_LENGTH)
    throw new KeyFileError(bytesEqual(bytes.subarray(0, 4), MAGIC) ? 'truncated' : 'corrupted', path)
  if (bytes.length > ML_DSA_KEY_FILE_LENGTH || !bytesEqual(bytes.subarray(0, 4), MAGIC))
    throw new KeyFileError('corrupted', path)
  if (!bytesEqual(sha256(bytes.subarray(0, BODY_LENGTH)), bytes.subarray(BODY_LENGTH)))
    throw new KeyFileError('corrupted', path)
  if (bytes[4] !== VERSION || bytes[5] !== KDF_SCRYPT) throw new KeyFileError('unsupported-version', path)
  const params: ScryptParameters = { log2N: bytes[6]!, r: bytes[7]!, p: bytes[8]! }
  if (!withinLimits(params)) throw new KeyFileError('unsafe-parameters', path)
  const salt = bytes.subarray(9, 9 + SALT_LENGTH)
  const nonce = bytes.subarray(9 + SALT_LENGTH, 9 + SALT_LENGTH + NONCE_LENGTH)
  let key: Uint8Array
  try {
    key = await deriveKey(passphrase, salt, params)
  } catch {
    throw new KeyFileError('unsafe-parameters', path)
  }
  const plaintext = nacl.secretbox.open(
    bytes.subarray(9 + SALT_LENGTH + NONCE_LENGTH, BODY_LENGTH),
    nonce,
    key,
  )
  key.fill(0)
  if (plaintext === null) throw new KeyFileError('wrong-passphrase', path)
  if (plaintext[0] !== 1) throw new KeyFileError('unsupported-version', path)
  const signer = new MlDsa44Signer(plaintext.slice(1))
  plaintext.fill(0)
  return signer
}

/** Encrypts the ML-DSA-44 key under `passphrase` and writes it to `path` (0600, atomic). */
export async function writeMlDsaKeyFile(
  path: string,
  signer: MlDsa44Signer,
  passphrase: string,
  params: ScryptParameters = DEFAULT_SCRYPT,
): Promise<void> {
  await writeFileAtomic(path, await encodeMlDsaKeyFile(signer, passphrase, params), 0o600)
}

/**
 * Reads and decrypts an ML-DSA-44 key file; a missing file is KeyFileError 'not-found', a file
 * longer than any such key file is refused unread ('corrupted').
 */
export async function readMlDsaKeyFile(path: string, passphrase: string): Promise<MlDsa44Signer> {
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
