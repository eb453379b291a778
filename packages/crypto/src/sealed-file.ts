import { randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import { KeyFileError } from './errors.ts'
import { bytesEqual, sha256 } from './hash.ts'
import { type Passphrase, passphraseKeys, SALT_LENGTH, type ScryptParameters } from './passphrase-keys.ts'

/*
 * The layout every pocnet key file shares (the node key, keyfile.ts; a witness's ML-DSA-44 key,
 * ml-dsa-keyfile.ts): secrets sealed under a passphrase, with a checksum.
 *   0  magic     4 bytes, one per kind of key file
 *   4  version   u8
 *   5  kdf       u8 = 1 (scrypt)
 *   6  log2N     u8      scrypt cost N = 2^log2N
 *   7  r         u8
 *   8  p         u8
 *   9  salt      16 bytes
 *  25  nonce     24 bytes (secretbox)
 *  49  sealed    secretbox(key = scrypt(passphrase NFC, salt), plaintext): 16 + plaintext bytes
 *                (files written together share the salt, passphrase-keys.ts says why);
 *                the plaintext's first byte repeats the version
 *   …  checksum  SHA-256 of every byte before it
 * The checksum lets a reader tell a damaged file (checksum fails) from a wrong passphrase
 * (checksum holds, secretbox does not open).
 */
const KDF_SCRYPT = 1
const NONCE_LENGTH = nacl.secretbox.nonceLength
const SEALED_AT = 9 + SALT_LENGTH + NONCE_LENGTH

/** One kind of key file: its magic and, per version it reads, the plaintext length. */
export interface SealedFileFormat {
  magic: Uint8Array
  /** Plaintext length (version byte included) of each version a reader accepts. */
  plaintextLengths: Readonly<Record<number, number>>
  /** The version a damaged version byte is judged as. */
  currentVersion: number
}

export type { ScryptParameters }

/**
 * OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1): 128 MiB and about 0.5 s here, paid once per
 * start or signing, which is what protects the node key in a stolen data directory or backup.
 */
export const DEFAULT_SCRYPT: ScryptParameters = { log2N: 17, r: 8, p: 1 }
/** Bounds a reader accepts, so a forged file cannot demand unbounded memory or time. */
const LIMITS = { log2N: [10, 20], r: [1, 16], p: [1, 4] } as const
/** scrypt needs 128·N·r bytes; a key file may ask for at most this much. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024

/** True if scrypt `params` are within what a reader accepts. */
export function withinLimits(params: ScryptParameters): boolean {
  return (
    params.log2N >= LIMITS.log2N[0] &&
    params.log2N <= LIMITS.log2N[1] &&
    params.r >= LIMITS.r[0] &&
    params.r <= LIMITS.r[1] &&
    params.p >= LIMITS.p[0] &&
    params.p <= LIMITS.p[1] &&
    128 * 2 ** params.log2N * params.r <= MAX_SCRYPT_MEMORY
  )
}

function bodyLength(format: SealedFileFormat, version: number): number {
  return SEALED_AT + format.plaintextLengths[version]! + nacl.secretbox.overheadLength
}

/** The length of a file of this format and version. */
export function sealedFileLength(format: SealedFileFormat, version: number): number {
  return bodyLength(format, version) + 32
}

/**
 * Seals `plaintext` (its first byte the version) under `passphrase` as file bytes of `format`,
 * with `salt` if given, else the salt of a file `passphrase` (as keys) opened or sealed before
 * with the same parameters, else a new one. The caller zeroes its plaintext; a key derived from a
 * passphrase string is zeroed here.
 */
export async function sealSecrets(
  format: SealedFileFormat,
  plaintext: Uint8Array,
  passphrase: Passphrase,
  params: ScryptParameters = DEFAULT_SCRYPT,
  salt?: Uint8Array,
): Promise<Uint8Array> {
  if (!withinLimits(params)) throw new RangeError('scrypt parameters outside the accepted range')
  const { keys, own } = passphraseKeys(passphrase)
  if (keys.isEmpty) throw new RangeError('the key passphrase must not be empty')
  const version = plaintext[0]!
  if (format.plaintextLengths[version] !== plaintext.length) {
    throw new RangeError(`a version ${version} plaintext must be ${format.plaintextLengths[version]} bytes`)
  }
  if (salt !== undefined && salt.length !== SALT_LENGTH)
    throw new RangeError(`a salt is ${SALT_LENGTH} bytes`)
  salt ??= keys.sealingSalt(params)
  const nonce = new Uint8Array(randomBytes(NONCE_LENGTH))
  let sealed: Uint8Array
  try {
    sealed = nacl.secretbox(plaintext, nonce, await keys.derive(salt, params))
  } finally {
    if (own) await keys.dispose()
  }
  const body = bodyLength(format, version)
  const out = new Uint8Array(body + 32)
  out.set(format.magic, 0)
  out.set([version, KDF_SCRYPT, params.log2N, params.r, params.p], 4)
  out.set(salt, 9)
  out.set(nonce, 9 + SALT_LENGTH)
  out.set(sealed, SEALED_AT)
  out.set(sha256(out.subarray(0, body)), body)
  return out
}

/** The salt and scrypt parameters of a key file that opened (any format of this layout). */
export function sealedFileKdf(bytes: Uint8Array): { salt: Uint8Array; params: ScryptParameters } {
  return { salt: bytes.slice(9, 9 + SALT_LENGTH), params: { log2N: bytes[6]!, r: bytes[7]!, p: bytes[8]! } }
}

/**
 * Opens file bytes of `format` with `passphrase`: the plaintext, its first byte the version.
 * Every failure is a KeyFileError naming the problem; the caller zeroes the plaintext.
 */
export async function openSealedSecrets(
  format: SealedFileFormat,
  bytes: Uint8Array,
  passphrase: Passphrase,
  path: string,
): Promise<Uint8Array> {
  const magicHolds = bytesEqual(bytes.subarray(0, 4), format.magic)
  // the version byte says how long the file must be; an unknown one is judged as the current
  // version's length, so a damaged version byte reads as damage, not as a newer format
  const version =
    bytes.length > 4 && format.plaintextLengths[bytes[4]!] !== undefined ? bytes[4]! : format.currentVersion
  const body = bodyLength(format, version)
  if (bytes.length < body + 32) throw new KeyFileError(magicHolds ? 'truncated' : 'corrupted', path)
  if (bytes.length > body + 32 || !magicHolds) throw new KeyFileError('corrupted', path)
  if (!bytesEqual(sha256(bytes.subarray(0, body)), bytes.subarray(body))) {
    throw new KeyFileError('corrupted', path)
  }
  if (bytes[4] !== version || bytes[5] !== KDF_SCRYPT) throw new KeyFileError('unsupported-version', path)
  const params: ScryptParameters = { log2N: bytes[6]!, r: bytes[7]!, p: bytes[8]! }
  if (!withinLimits(params)) throw new KeyFileError('unsafe-parameters', path)
  const salt = bytes.subarray(9, 9 + SALT_LENGTH)
  const nonce = bytes.subarray(9 + SALT_LENGTH, SEALED_AT)
  const { keys, own } = passphraseKeys(passphrase)
  let plaintext: Uint8Array | null
  try {
    let key: Uint8Array
    try {
      key = await keys.derive(salt, params)
    } catch {
      // within LIMITS scrypt only fails when the machine cannot give it the memory
      throw new KeyFileError('unsafe-parameters', path)
    }
    plaintext = nacl.secretbox.open(bytes.subarray(SEALED_AT, body), nonce, key)
  } finally {
    if (own) await keys.dispose()
  }
  if (plaintext === null) throw new KeyFileError('wrong-passphrase', path)
  if (plaintext[0] !== version) {
    plaintext.fill(0)
    throw new KeyFileError('unsupported-version', path)
  }
  return plaintext
}
