import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  bytesEqual,
  KeyFileError,
  type MlDsa44Signer,
  type Passphrase,
  type PassphraseKeys,
  readKeyFileBytes,
  readMlDsaKeyFile,
  sameScryptParameters,
  sealedFileKdf,
  writeMlDsaKeyFile,
} from '@pocnet/crypto'
import { DATA_DIR } from './constants.ts'

/**
 * The witness's ML-DSA-44 key (witness-mldsa.key), or undefined when the data directory has none
 * (a node made before `init` made one). A file that is there but does not open is an error.
 */
export async function readMlDsaWitnessKey(
  dataDir: string,
  passphrase: Passphrase,
): Promise<MlDsa44Signer | undefined> {
  try {
    return await readMlDsaKeyFile(join(dataDir, DATA_DIR.mlDsaWitnessKey), passphrase)
  } catch (err) {
    if (err instanceof KeyFileError && err.problem === 'not-found') return undefined
    throw err
  }
}

/**
 * Seals witness-mldsa.key again under node.key's salt when the two were sealed apart (a node made
 * before they shared one) at the same scrypt cost, so later starts open both with one scrypt run.
 * `keys` opened both: the key for node.key's salt is at hand and this derives nothing. A witness
 * key at another cost is left as it is, so its cost is never lowered. True if it rewrote the file.
 */
export async function shareNodeKeySalt(
  dataDir: string,
  keys: PassphraseKeys,
  signer: MlDsa44Signer,
): Promise<boolean> {
  const witnessFile = join(dataDir, DATA_DIR.mlDsaWitnessKey)
  const nodeKey = sealedFileKdf(await readKeyFileBytes(join(dataDir, DATA_DIR.key)))
  const witness = sealedFileKdf(new Uint8Array(await readFile(witnessFile)))
  if (!sameScryptParameters(nodeKey.params, witness.params) || bytesEqual(nodeKey.salt, witness.salt))
    return false
  await writeMlDsaKeyFile(witnessFile, signer, keys, nodeKey.params, nodeKey.salt)
  return true
}
