import { randomBytes } from 'node:crypto'
import { type FileHandle, link, open, rename, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { FileTooLargeError, readFileWithin } from './bounded-file.ts'
import { KeyFileError } from './errors.ts'
import { NodeIdentity } from './identity.ts'
import type { Passphrase } from './passphrase-keys.ts'
import {
  DEFAULT_SCRYPT,
  openSealedSecrets,
  type ScryptParameters,
  type SealedFileFormat,
  sealedFileLength,
  sealSecrets,
} from './sealed-file.ts'
import { XWING_SEED_LENGTH } from './xwing.ts'

/*
 * The node key file, in the layout of sealed-file.ts under the magic "PNKF": 194 bytes.
 * Plaintext, version 2: 0x02 ‖ Ed25519 seed (32) ‖ X25519 secret (32) ‖ X-Wing seed (32).
 * Version 1 (162 bytes, still read): 0x01 ‖ Ed25519 seed ‖ X25519 secret.
 */
const SECRET_LENGTH = 32
const NODE_KEY_FILE: SealedFileFormat = {
  magic: new TextEncoder().encode('PNKF'),
  plaintextLengths: { 1: 1 + 2 * SECRET_LENGTH, 2: 1 + 3 * SECRET_LENGTH },
  currentVersion: 2,
}
/** The length of a key file this version writes (a key with an X-Wing seed). */
export const KEY_FILE_LENGTH = sealedFileLength(NODE_KEY_FILE, NODE_KEY_FILE.currentVersion)

/**
 * Encodes an identity as key-file bytes, encrypted under `passphrase`: version 2, or version 1
 * for a key without an X-Wing seed, so such a key is written back as it was read.
 */
export async function encodeKeyFile(
  identity: NodeIdentity,
  passphrase: Passphrase,
  params: ScryptParameters = DEFAULT_SCRYPT,
): Promise<Uint8Array> {
  const { signingSeed, boxSecretKey, kemSeed } = identity.secrets
  const version = kemSeed === undefined ? 1 : NODE_KEY_FILE.currentVersion
  const plaintext = new Uint8Array(NODE_KEY_FILE.plaintextLengths[version]!)
  plaintext[0] = version
  plaintext.set(signingSeed, 1)
  plaintext.set(boxSecretKey, 1 + SECRET_LENGTH)
  if (kemSeed !== undefined) plaintext.set(kemSeed, 1 + 2 * SECRET_LENGTH)
  try {
    return await sealSecrets(NODE_KEY_FILE, plaintext, passphrase, params)
  } finally {
    plaintext.fill(0)
  }
}

/** Decodes key-file bytes; every failure is a KeyFileError naming the problem. */
export async function decodeKeyFile(
  bytes: Uint8Array,
  passphrase: Passphrase,
  path = '<key file>',
): Promise<NodeIdentity> {
  const plaintext = await openSealedSecrets(NODE_KEY_FILE, bytes, passphrase, path)
  const identity = new NodeIdentity({
    signingSeed: plaintext.slice(1, 1 + SECRET_LENGTH),
    boxSecretKey: plaintext.slice(1 + SECRET_LENGTH, 1 + 2 * SECRET_LENGTH),
    ...(plaintext[0] === 1 ? {} : { kemSeed: plaintext.slice(1 + 2 * SECRET_LENGTH, 1 + 3 * SECRET_LENGTH) }),
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
  passphrase: Passphrase,
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
        why: `a key file is ${KEY_FILE_LENGTH} bytes (${sealedFileLength(NODE_KEY_FILE, 1)} for version 1)`,
      }),
    )
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new KeyFileError('corrupted', path)
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeyFileError('not-found', path)
    throw err
  }
}

/** Reads and decrypts a key file; failures are KeyFileError with a `problem`. */
export async function readKeyFile(path: string, passphrase: Passphrase): Promise<NodeIdentity> {
  return decodeKeyFile(await readKeyFileBytes(path), passphrase, path)
}

/**
 * Reads a key file and, when it holds a key made before hybrid sealing (version 1, no X-Wing
 * seed), adds a fresh X-Wing seed and writes it back as version 2 under the same passphrase and
 * scrypt parameters (0600, atomic). The Ed25519 and X25519 keys stay as they were.
 */
export async function readKeyFileAddingKem(
  path: string,
  passphrase: Passphrase,
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
