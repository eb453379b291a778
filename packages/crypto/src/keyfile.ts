import { randomBytes, scrypt as scryptCb } from 'node:crypto'
import { type FileHandle, link, open, rename, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import nacl from 'tweetnacl'
import { FileTooLargeError, readFileWithin } from './bounded-file.ts'
import { KeyFileError } from './errors.ts'
import { bytesEqual, sha256 } from './hash.ts'
import { NodeIdentity } from './identity.ts'
import { XWING_SEED_LENGTH } from './xwing.ts'

/*
 * Key file layout, 194 bytes (version 2; version 1, 162 bytes, has no X-Wing seed):
 *   0  magic       "PNKF"
 *   4  version     u8 = 2
 *   5  kdf         u8 = 1 (scrypt)
 *   6  log2N       u8      scrypt cost N = 2^log2N
 *   7  r           u8
 *   8  p           u8
 *   9  salt        16 bytes
 *  25  nonce       24 bytes (secretbox)
 *  49  sealed      secretbox(key = scrypt(passphrase, salt), plaintext) = 16 + 97 bytes
 *                  plaintext = 0x02 || Ed25519 seed (32) || X25519 secret (32) || X-Wing seed (32)
 *                  (version 1: 0x01 || Ed25519 seed || X25519 secret, 65 bytes)
 * 162  checksum    SHA-256 of bytes 0..161 (version 1: at 130, of bytes 0..129)
 * The checksum lets a reader tell a damaged file (checksum fails) from a wrong
 * passphrase (checksum holds, secretbox does not open).
 */
const MAGIC = new TextEncoder().encode('PNKF')
const KDF_SCRYPT = 1
const SALT_LENGTH = 16
const NONCE_LENGTH = nacl.secretbox.nonceLength
const SECRET_LENGTH = 32
/** The plaintext length of each version: a version byte, then its 32-byte secrets. */
const PLAINTEXT_LENGTHS: Record<number, number> = { 1: 1 + 2 * SECRET_LENGTH, 2: 1 + 3 * SECRET_LENGTH }
const CURRENT_VERSION = 2
const bodyLength = (version: number) =>
  9 + SALT_LENGTH + NONCE_LENGTH + PLAINTEXT_LENGTHS[version]! + nacl.secretbox.overheadLength
const fileLength = (version: number) => bodyLength(version) + 32
/** The length of a key file this version writes (a key with an X-Wing seed). */
export const KEY_FILE_LENGTH = fileLength(CURRENT_VERSION)

export interface ScryptParameters {
  log2N: number
  r: number
  p: number
}

/**
 * OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1): 128 MiB and about 0.5 s here, paid once per
 * start or signing, which is what protects the node key in a stolen data directory or backup.
 */
export const DEFAULT_SCRYPT: ScryptParameters = { log2N: 17, r: 8, p: 1 }
/** Bounds a reader accepts, so a forged file cannot demand unbounded memory or time. */
const LIMITS = { log2N: [10, 20], r: [1, 16], p: [1, 4] } as const
/** scrypt needs 128·N·r bytes; a key file may ask for at most this much. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024

/** True if scrypt `params` are within what a reader accepts (shared by every key file). */
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

/** scrypt(passphrase NFC, salt) → 32-byte secretbox key (shared by every key file). */
export function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParameters,
): Promise<Uint8Array> {
  const N = 2 ** params.log2N
  return new Promise((resolve, reject) => {
    scryptCb(
      passphrase.normalize('NFC'),
      salt,
      32,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))),
    )
  })
}

/**
 * Encodes an identity as key-file bytes, encrypted under `passphrase`: version 2, or version 1
 * for a key without an X-Wing seed, so such a key is written back as it was read.
 */
export async function encodeKeyFile(
  identity: NodeIdentity,
  passphrase: string,
  params: ScryptParameters = DEFAULT_SCRYPT,
): Promise<Uint8Array> {
  if (!withinLimits(params)) throw new RangeError('scrypt parameters outside the accepted range')
  if (passphrase.length === 0) throw new RangeError('the key passphrase must not be empty')
  const salt = new Uint8Array(randomBytes(SALT_LENGTH))
  const nonce = new Uint8Array(randomBytes(NONCE_LENGTH))
  const key = await deriveKey(passphrase, salt, params)
  const { signingSeed, boxSecretKey, kemSeed } = identity.secrets
  const version = kemSeed === undefined ? 1 : CURRENT_VERSION
  const plaintext = new Uint8Array(PLAINTEXT_LENGTHS[version]!)
  plaintext[0] = version
  plaintext.set(signingSeed, 1)
  plaintext.set(boxSecretKey, 1 + SECRET_LENGTH)
  if (kemSeed !== undefined) plaintext.set(kemSeed, 1 + 2 * SECRET_LENGTH)
  const sealed = nacl.secretbox(plaintext, nonce, key)
  plaintext.fill(0)
  key.fill(0)

  const body = bodyLength(version)
  const out = new Uint8Array(fileLength(version))
  out.set(MAGIC, 0)
  out.set([version, KDF_SCRYPT, params.log2N, params.r, params.p], 4)
  out.set(salt, 9)
  out.set(nonce, 9 + SALT_LENGTH)
  out.set(sealed, 9 + SALT_LENGTH + NONCE_LENGTH)
  out.set(sha256(out.subarray(0, body)), body)
  return out
}

/** Decodes key-file bytes; every failure is a KeyFileError naming the problem. */
export async function decodeKeyFile(
  bytes: Uint8Array,
  passphrase: string,
  path = '<key file>',
): Promise<NodeIdentity> {
  // the version byte says how long the file must be; an unknown one is judged as the current
  // version's length, so a damaged version byte reads as damage, not as a newer format
  const version = bytes.length > 4 && PLAINTEXT_LENGTHS[bytes[4]!] !== undefined ? bytes[4]! : CURRENT_VERSION
  const length = fileLength(version)
  const body = bodyLength(version)
  if (bytes.length < length) {
    throw new KeyFileError(bytesEqual(bytes.subarray(0, 4), MAGIC) ? 'truncated' : 'corrupted', path)
  }
  if (bytes.length > length || !bytesEqual(bytes.subarray(0, 4), MAGIC)) {
    throw new KeyFileError('corrupted', path)
  }
  if (!bytesEqual(sha256(bytes.subarray(0, body)), bytes.subarray(body))) {
    throw new KeyFileError('corrupted', path)
  }
  if (bytes[4] !== version || bytes[5] !== KDF_SCRYPT) throw new KeyFileError('unsupported-version', path)
  const params: ScryptParameters = { log2N: bytes[6]!, r: bytes[7]!, p: bytes[8]! }
  if (!withinLimits(params)) throw new KeyFileError('unsafe-parameters', path)
  const salt = bytes.subarray(9, 9 + SALT_LENGTH)
  const nonce = bytes.subarray(9 + SALT_LENGTH, 9 + SALT_LENGTH + NONCE_LENGTH)
  const sealed = bytes.subarray(9 + SALT_LENGTH + NONCE_LENGTH, body)
  let key: Uint8Array
  try {
    key = await deriveKey(passphrase, salt, params)
  } catch {
    // within LIMITS scrypt only fails when the machine cannot give it the memory
    throw new KeyFileError('unsafe-parameters', path)
  }
  const plaintext = nacl.secretbox.open(sealed, nonce, key)
  key.fill(0)
  if (plaintext === null) throw new KeyFileError('wrong-passphrase', path)
  if (plaintext[0] !== version) throw new KeyFileError('unsupported-version', path)
  const identity = new NodeIdentity({
    signingSeed: plaintext.slice(1, 1 + SECRET_LENGTH),
    boxSecretKey: plaintext.slice(1 + SECRET_LENGTH, 1 + 2 * SECRET_LENGTH),
    ...(version === 1 ? {} : { kemSeed: plaintext.slice(1 + 2 * SECRET_LENGTH, 1 + 3 * SECRET_LENGTH) }),
  })
  plaintext.fill(0)
  return identity
}

/**
 * Writes `bytes` to `path` atomically with mode 0600: a temporary file in the same
 * directory, fsync'd, renamed over the target, then the directory fsync'd.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
  return writeAtomically(path, (fh) => fh.writeFile(bytes), mode)
}

/** The last write asked for of each path (resolved) in this process, until it ends. */
const writesInProgress = new Map<string, Promise<void>>()

/**
 * writeFileAtomic for content written piece by piece: `write` fills the temporary file; on
 * any failure it is removed and `path` is left as it was. With `replace: false` an existing
 * `path` is never replaced: the call fails with EEXIST instead.
 *
 * Writes of one path in this process run one after the other, in the order they were asked
 * for: callers write a whole file from their state in memory, so the last asked for must be the
 * one left on disk. Run side by side, an earlier write whose fsync ended later was renamed last
 * (a removed user back in users.json after a restart, an older chain in roster.cbor).
 */
export function writeAtomically(
  path: string,
  write: (fh: FileHandle) => Promise<void>,
  mode = 0o600,
  options: { replace?: boolean } = {},
): Promise<void> {
  const key = resolve(path)
  const run = (writesInProgress.get(key) ?? Promise.resolve()).then(() =>
    writeAtomicallyNow(path, write, mode, options),
  )
  const settled = run.then(
    () => {},
    () => {},
  )
  writesInProgress.set(key, settled)
  void settled.then(() => {
    if (writesInProgress.get(key) === settled) writesInProgress.delete(key)
  })
  return run
}

async function writeAtomicallyNow(
  path: string,
  write: (fh: FileHandle) => Promise<void>,
  mode: number,
  options: { replace?: boolean },
): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  const fh = await open(tmp, 'wx', mode)
  try {
    await write(fh)
    await fh.sync()
  } catch (err) {
    await fh.close()
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    // link refuses an existing name where rename would replace it: no window to win a race in
    if (options.replace === false) await link(tmp, path)
    else await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  if (options.replace === false) await rm(tmp, { force: true })
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** Encrypts the identity under `passphrase` and writes it to `path` (0600, atomic). */
export async function writeKeyFile(
  path: string,
  identity: NodeIdentity,
  passphrase: string,
  params: ScryptParameters = DEFAULT_SCRYPT,
): Promise<void> {
  await writeFileAtomic(path, await encodeKeyFile(identity, passphrase, params), 0o600)
}

/**
 * A key file's bytes, a larger file than any key file refused unread: `corrupted`, as decodeKeyFile
 * says of it once read. A missing file is KeyFileError `not-found`.
 */
export async function readKeyFileBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(
      await readFileWithin(path, {
        what: 'key file',
        maxBytes: KEY_FILE_LENGTH,
        why: `a key file is ${KEY_FILE_LENGTH} bytes (${fileLength(1)} for version 1)`,
      }),
    )
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new KeyFileError('corrupted', path)
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeyFileError('not-found', path)
    throw err
  }
}

/** Reads and decrypts a key file; failures are KeyFileError with a `problem`. */
export async function readKeyFile(path: string, passphrase: string): Promise<NodeIdentity> {
  return decodeKeyFile(await readKeyFileBytes(path), passphrase, path)
}

/**
 * Reads a key file and, when it holds a key made before hybrid sealing (version 1, no X-Wing
 * seed), adds a fresh X-Wing seed and writes it back as version 2 under the same passphrase and
 * scrypt parameters (0600, atomic). The Ed25519 and X25519 keys stay as they were.
 */
export async function readKeyFileAddingKem(
  path: string,
  passphrase: string,
): Promise<{ identity: NodeIdentity; upgraded: boolean }> {
  const bytes = await readKeyFileBytes(path)
  const identity = await decodeKeyFile(bytes, passphrase, path)
  if (identity.kem !== undefined) return { identity, upgraded: false }
  const params: ScryptParameters = { log2N: bytes[6]!, r: bytes[7]!, p: bytes[8]! }
  const upgraded = new NodeIdentity({
    ...identity.secrets,
    kemSeed: new Uint8Array(randomBytes(XWING_SEED_LENGTH)),
  })
  await writeKeyFile(path, upgraded, passphrase, params)
  return { identity: upgraded, upgraded: true }
}
