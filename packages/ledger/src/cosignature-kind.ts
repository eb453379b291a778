import { ED25519_SIGNATURE_LENGTH, ML_DSA_44_SIGNATURE_LENGTH } from '@pocnet/crypto'
import { cosignatureKeyId, parseCosignature, verifyCosignature } from './cosignature.ts'
import { CheckpointFormatError } from './errors.ts'
import { mlDsaCosignatureKeyId, parseMlDsaCosignature, verifyMlDsaCosignature } from './mldsa-cosignature.ts'
import { parseSignatureLine } from './signed-note.ts'
import { type Cosignature, TIMESTAMP_LENGTH } from './timestamped-signature.ts'

/*
 * The two cosignature kinds of c2sp.org/tlog-cosignature side by side: a witness may cosign with
 * Ed25519 (0x04), ML-DSA-44 (0x06), or both (two lines under one name, told apart by key ID).
 */

export type CosignatureKind = 'ed25519' | 'ml-dsa-44'

/** A witness's keys as verifiers know them: its Ed25519 key, and its ML-DSA-44 key if it has one. */
export interface WitnessKeys {
  name: string
  publicKey: Uint8Array
  mlDsaPublicKey?: Uint8Array
  /**
   * A key the witness held before a roster rotation gave it another (never a revoked one): its
   * lines count for that witness as a current key's do, and are listed as `retiredKey`.
   */
  retired?: true
}

/**
 * Parses a cosignature line of either kind (without its newline), telling them apart by length:
 * checks its shape, not its signature, nor that its key ID is of that kind.
 */
export function parseAnyCosignature(line: string): Cosignature & { kind: CosignatureKind } {
  const { signature } = parseSignatureLine(line)
  if (signature.length === TIMESTAMP_LENGTH + ML_DSA_44_SIGNATURE_LENGTH)
    return { ...parseMlDsaCosignature(line), kind: 'ml-dsa-44' }
  if (signature.length === TIMESTAMP_LENGTH + ED25519_SIGNATURE_LENGTH)
    return { ...parseCosignature(line), kind: 'ed25519' }
  throw new CheckpointFormatError(
    `a cosignature must be an 8-byte timestamp and a ${ED25519_SIGNATURE_LENGTH}-byte Ed25519 or ${ML_DSA_44_SIGNATURE_LENGTH}-byte ML-DSA-44 signature (${TIMESTAMP_LENGTH + ED25519_SIGNATURE_LENGTH} or ${TIMESTAMP_LENGTH + ML_DSA_44_SIGNATURE_LENGTH} bytes after the key ID, not ${signature.length})`,
  )
}

/** Which of `witness`'s keys a line's name and key ID name, if any. */
export function cosignatureKindOf(
  line: { name: string; keyId: Uint8Array },
  witness: WitnessKeys,
): CosignatureKind | undefined {
  if (line.name !== witness.name) return undefined
  const id = Buffer.from(line.keyId)
  if (id.equals(Buffer.from(cosignatureKeyId(witness.name, witness.publicKey)))) return 'ed25519'
  if (
    witness.mlDsaPublicKey !== undefined &&
    id.equals(Buffer.from(mlDsaCosignatureKeyId(witness.name, witness.mlDsaPublicKey)))
  )
    return 'ml-dsa-44'
  return undefined
}

/**
 * Checks the line `line` (split from a note whose text is `checkpointText`) as a cosignature of
 * `kind` by `witness`: throws CheckpointFormatError when its shape is not that kind's (an Ed25519
 * key ID on ML-DSA-44 bytes, say); returns whether the signature verifies, and its timestamp.
 */
export function checkCosignatureOf(
  checkpointText: string,
  line: string,
  kind: CosignatureKind,
  witness: WitnessKeys,
): { valid: boolean; timestamp: number } {
  if (kind === 'ed25519') {
    const c = parseCosignature(line)
    return { valid: verifyCosignature(checkpointText, c, witness.publicKey), timestamp: c.timestamp }
  }
  const c = parseMlDsaCosignature(line)
  const valid =
    witness.mlDsaPublicKey !== undefined && verifyMlDsaCosignature(checkpointText, c, witness.mlDsaPublicKey)
  return { valid, timestamp: c.timestamp }
}
