import { chmod, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  bytesEqual,
  decodeKeyFile,
  KeyFileError,
  NodeIdentity,
  type Passphrase,
  readKeyFileBytes,
  type ScryptParameters,
  toHex,
  writeFileAtomic,
  writeKeyFile,
} from '@pocnet/crypto'
import { DATA_DIR } from './constants.ts'
import { NodeError } from './errors.ts'

/*
 * A planned node key rotation (docs/operations.md, Key rotation): the new key goes into node.key
 * and the old key file is kept, as it was, under keys/retired/. At the first start after the
 * roster rotated the key, the node hands the retired key to its ledger, which signs the handover
 * with it too and keeps the message bodies sealed under it readable.
 */

/** What a key rotation did: the key taken out of service, the key now in node.key. */
export interface KeyRotated {
  retired: NodeIdentity
  current: NodeIdentity
  /** Where the retired key file now lives. */
  retiredFile: string
}

/** The file a retired key is kept in. */
export function retiredKeyFile(dataDir: string, publicKey: Uint8Array): string {
  return join(dataDir, DATA_DIR.retiredKeys, `${toHex(publicKey)}.key`)
}

/**
 * Generates a new node key into node.key and keeps the current one under keys/retired/ (both
 * 0600, encrypted under `passphrase`). The node must be stopped: a running daemon keeps its key.
 * The retired copy is written (fsync'd) before node.key is replaced, so a crash between the two
 * leaves both keys on disk. Given PassphraseKeys that opened the witness key, the new node.key
 * takes its salt (passphrase-keys.ts).
 */
export async function rotateNodeKey(opts: {
  dataDir: string
  passphrase: Passphrase
  scrypt?: ScryptParameters
}): Promise<KeyRotated> {
  const keyPath = join(opts.dataDir, DATA_DIR.key)
  const bytes = await readKeyFileBytes(keyPath)
  // the passphrase must open the current key: the new one is sealed under the same
  const retired = await decodeKeyFile(bytes, opts.passphrase, keyPath)
  const retiredFile = retiredKeyFile(opts.dataDir, retired.signingPublicKey)
  for (const dir of ['keys', DATA_DIR.retiredKeys]) {
    await mkdir(join(opts.dataDir, dir), { recursive: true, mode: 0o700 })
    await chmod(join(opts.dataDir, dir), 0o700)
  }
  await writeFileAtomic(retiredFile, bytes, 0o600)
  const current = NodeIdentity.generate()
  await writeKeyFile(keyPath, current, opts.passphrase, opts.scrypt)
  return { retired, current, retiredFile }
}

/**
 * The retired key `publicKey` if this node kept it (`pocnet key rotate`), else undefined (a lost
 * or compromised key). A file that is there but does not open, or holds another key, is an error.
 */
export async function readRetiredKey(
  dataDir: string,
  publicKey: Uint8Array,
  passphrase: Passphrase,
): Promise<NodeIdentity | undefined> {
  const path = retiredKeyFile(dataDir, publicKey)
  let bytes: Uint8Array
  try {
    bytes = await readKeyFileBytes(path)
  } catch (err) {
    if (err instanceof KeyFileError && err.problem === 'not-found') return undefined
    throw err
  }
  const identity = await decodeKeyFile(bytes, passphrase, path)
  if (!bytesEqual(identity.signingPublicKey, publicKey))
    throw new NodeError(
      'ERR_RETIRED_KEY',
      `${path} holds key ${toHex(identity.signingPublicKey)}, not the key its name says: move it aside (the old key's message bodies then stay sealed)`,
    )
  return identity
}
