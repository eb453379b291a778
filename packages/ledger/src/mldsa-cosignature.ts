import { bytesEqual, ML_DSA_44_SIGNATURE_LENGTH, sha256, verifyMlDsa44 } from '@pocnet/crypto'
import { type Checkpoint, parseCheckpointBody } from './checkpoint.ts'
import type { WitnessKey } from './cosignature.ts'
import { CheckpointFormatError } from './errors.ts'
import {
  formatSignatureLine,
  NOTE_SIGNATURE_TYPE,
  type NoteSignature,
  type NoteVerifier,
  noteKeyId,
  parseSignatureLine,
} from './signed-note.ts'
import {
  type Cosignature,
  checkTimestamp,
  readTimestampedSignature,
  timestampedSignature,
} from './timestamped-signature.ts'

/*
 * ML-DSA-44 cosignatures (c2sp.org/tlog-cosignature, "ML-DSA-44 signed message"; signed-note type
 * 0x06): key ID SHA-256(name ‖ 0x0A ‖ 0x06 ‖ 1312-byte public key)[:4], signature bytes an 8-byte
 * big-endian POSIX timestamp ‖ ML-DSA-44 (empty context) over the `cosigned_message`
 *
 *   "subtree/v1\n\0" ‖ u8 len ‖ cosigner name ‖ u64 timestamp ‖ u8 len ‖ log origin ‖
 *   u64 start ‖ u64 end ‖ 32-byte root hash
 *
 * with start 0 and end the tree size for a checkpoint. Unlike cosignature/v1 it commits to the
 * cosigner's name, and signs the tree rather than the note text (no extension lines: pocnet
 * writes none, and a body with any is refused here, as torchwood does).
 */

const textEncoder = new TextEncoder()
const MLDSA_COSIGNATURE_TYPE = new Uint8Array([NOTE_SIGNATURE_TYPE.cosignatureMlDsa44])
const LABEL = textEncoder.encode('subtree/v1\n\0')
const MAX_NAME_BYTES = 255
const ML_DSA_FORM = `a ${ML_DSA_44_SIGNATURE_LENGTH}-byte ML-DSA-44 signature`
const EMPTY_TREE_ROOT = sha256()

/** A witness's ML-DSA-44 key as verifiers know it: the cosigner's name and 1312-byte public key. */
export type MlDsaWitnessKey = WitnessKey

/** An ML-DSA-44 witness key with what signs for it (crypto's `MlDsa44Signer` does). */
export interface MlDsaCosigner extends MlDsaWitnessKey {
  signer: { sign(message: Uint8Array): Uint8Array }
}

export function mlDsaCosignatureKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return noteKeyId(name, MLDSA_COSIGNATURE_TYPE, publicKey)
}

function lengthPrefixed(text: string, field: string): Uint8Array {
  const bytes = textEncoder.encode(text)
  if (bytes.length === 0 || bytes.length > MAX_NAME_BYTES)
    throw new CheckpointFormatError(
      `the ${field} of an ML-DSA-44 cosignature must be 1-${MAX_NAME_BYTES} bytes`,
    )
  return new Uint8Array([bytes.length, ...bytes])
}

/** The exact `cosigned_message` an ML-DSA-44 cosignature of `checkpoint` by `name` covers. */
export function subtreeCosignedMessage(name: string, timestamp: number, checkpoint: Checkpoint): Uint8Array {
  checkTimestamp(timestamp)
  if (checkpoint.size === 0 && !Buffer.from(checkpoint.root).equals(Buffer.from(EMPTY_TREE_ROOT)))
    throw new CheckpointFormatError('the root of an empty tree must be SHA-256 of the empty string')
  const cosigner = lengthPrefixed(name, 'cosigner name')
  const origin = lengthPrefixed(checkpoint.origin, 'log origin')
  const out = new Uint8Array(LABEL.length + cosigner.length + 8 + origin.length + 16 + checkpoint.root.length)
  const view = new DataView(out.buffer)
  let at = 0
  out.set(LABEL, at)
  at += LABEL.length
  out.set(cosigner, at)
  at += cosigner.length
  view.setBigUint64(at, BigInt(timestamp))
  at += 8
  out.set(origin, at)
  at += origin.length
  view.setBigUint64(at, 0n) // start: a checkpoint is the subtree from leaf 0
  view.setBigUint64(at + 8, BigInt(checkpoint.size))
  at += 16
  out.set(checkpoint.root, at)
  return out
}

/** Cosigns the checkpoint whose note text is `checkpointText` at `timestamp` (seconds); returns the line. */
export function signMlDsaCosignature(
  cosigner: MlDsaCosigner,
  checkpointText: string,
  timestamp: number,
): string {
  const message = subtreeCosignedMessage(cosigner.name, timestamp, parseCheckpointBody(checkpointText))
  return formatSignatureLine(
    cosigner.name,
    mlDsaCosignatureKeyId(cosigner.name, cosigner.publicKey),
    timestampedSignature(timestamp, cosigner.signer.sign(message)),
  )
}

export function mlDsaCosignatureOf(line: NoteSignature): Cosignature {
  return readTimestampedSignature(line, ML_DSA_44_SIGNATURE_LENGTH, ML_DSA_FORM)
}

/** Parses an ML-DSA-44 cosignature line (without its newline); checks its shape, not its signature. */
export function parseMlDsaCosignature(line: string): Cosignature {
  return mlDsaCosignatureOf(parseSignatureLine(line))
}

/**
 * True if `cosignature` is a valid ML-DSA-44 cosignature by `publicKey` on the checkpoint whose
 * note text is `checkpointText`: its key ID must be this key's under its name, and the signature
 * must cover the tree that text states. False, never a throw, for any bad input.
 */
export function verifyMlDsaCosignature(
  checkpointText: string,
  cosignature: Cosignature,
  publicKey: Uint8Array,
): boolean {
  if (!bytesEqual(cosignature.keyId, mlDsaCosignatureKeyId(cosignature.name, publicKey))) return false
  let message: Uint8Array
  try {
    message = subtreeCosignedMessage(
      cosignature.name,
      cosignature.timestamp,
      parseCheckpointBody(checkpointText),
    )
  } catch {
    return false
  }
  return verifyMlDsa44(message, cosignature.signature, publicKey)
}

/** A signed-note verifier for an ML-DSA-44 witness key, for `openNote` (a vkey of type 0x06). */
export function mlDsaCosignatureVerifier(witness: MlDsaWitnessKey): NoteVerifier {
  const keyId = mlDsaCosignatureKeyId(witness.name, witness.publicKey)
  return {
    name: witness.name,
    keyId,
    verify(text, signature) {
      let cosignature: Cosignature
      try {
        cosignature = mlDsaCosignatureOf({ name: witness.name, keyId, signature, line: '' })
      } catch {
        return false
      }
      return verifyMlDsaCosignature(new TextDecoder().decode(text), cosignature, witness.publicKey)
    },
  }
}
