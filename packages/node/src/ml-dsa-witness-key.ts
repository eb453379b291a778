import { join } from 'node:path'
import { KeyFileError, type MlDsa44Signer, type Passphrase, readMlDsaKeyFile } from '@pocnet/crypto'
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
