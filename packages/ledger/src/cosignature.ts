import { bytesEqual, ED25519_SIGNATURE_LENGTH, verifyNoteText } from '@pocnet/crypto'
import { CheckpointFormatError } from './errors.ts'
import {
  decodeNote,
  formatSignatureLine,
  NOTE_SIGNATURE_TYPE,
  type NoteSignature,
  type NoteVerifier,
  noteKeyId,
  parseSignatureLine,
  splitNote,
} from './signed-note.ts'
import {
  type Cosignature,
  checkTimestamp,
  readTimestampedSignature,
  timestampedSignature,
} from './timestamped-signature.ts'

/*
 * cosignature/v1 (c2sp.org/tlog-cosignature, Ed25519): a witness's signature line on a checkpoint,
 * key ID SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], signature bytes an 8-byte big-endian POSIX
 * timestamp ‖ Ed25519 over "cosignature/v1\ntime <timestamp>\n" ‖ the checkpoint's note text.
 * It states that, at that time, this was the largest consistent tree the witness had seen of the log.
 * The ML-DSA-44 form (0x06) is mldsa-cosignature.ts.
 */

export type { Cosignature } from './timestamped-signature.ts'

const textEncoder = new TextEncoder()
const COSIGNATURE_TYPE = new Uint8Array([NOTE_SIGNATURE_TYPE.cosignatureEd25519])
const ED25519_FORM = `a ${ED25519_SIGNATURE_LENGTH}-byte Ed25519 signature`

/** A witness key as verifiers know it: the cosigner's name and Ed25519 public key. */
export interface WitnessKey {
  name: string
  publicKey: Uint8Array
}

/** A witness key with what signs for it (crypto's `Signer` does). */
export interface Cosigner extends WitnessKey {
  signer: { signNoteText(text: Uint8Array): Uint8Array }
}

/** Which witness cosigned, and when (POSIX seconds). */
export interface VerifiedCosignature {
  name: string
  publicKey: Uint8Array
  timestamp: number
}

export function cosignatureKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return noteKeyId(name, COSIGNATURE_TYPE, publicKey)
}

/** The exact bytes a cosignature/v1 signature covers. */
export function cosignedMessage(checkpointText: string, timestamp: number): Uint8Array {
  checkTimestamp(timestamp)
  return textEncoder.encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`)
}

/** Cosigns the note text of a checkpoint at `timestamp` (seconds); returns the signature line. */
export function signCosignature(cosigner: Cosigner, checkpointText: string, timestamp: number): string {
  const signature = cosigner.signer.signNoteText(cosignedMessage(checkpointText, timestamp))
  return formatSignatureLine(
    cosigner.name,
    cosignatureKeyId(cosigner.name, cosigner.publicKey),
    timestampedSignature(timestamp, signature),
  )
}

function cosignatureOf(line: NoteSignature): Cosignature {
  return readTimestampedSignature(line, ED25519_SIGNATURE_LENGTH, ED25519_FORM)
}

/** Parses a cosignature/v1 line (without its newline); checks its shape, not its signature. */
export function parseCosignature(line: string): Cosignature {
  return cosignatureOf(parseSignatureLine(line))
}

/** True if `cosignature` is valid by `publicKey` on the checkpoint whose note text is `checkpointText`. */
export function verifyCosignature(
  checkpointText: string,
  cosignature: Cosignature,
  publicKey: Uint8Array,
): boolean {
  if (!bytesEqual(cosignature.keyId, cosignatureKeyId(cosignature.name, publicKey))) return false
  const message = cosignedMessage(checkpointText, cosignature.timestamp)
  return verifyNoteText(message, cosignature.signature, publicKey)
}

/** A signed-note verifier for a witness key, for `openNote` (a vkey of type 0x04). */
export function cosignatureVerifier(witness: WitnessKey): NoteVerifier {
  const keyId = cosignatureKeyId(witness.name, witness.publicKey)
  return {
    name: witness.name,
    keyId,
    verify(text, signature) {
      let cosignature: Cosignature
      try {
        cosignature = cosignatureOf({ name: witness.name, keyId, signature, line: '' })
      } catch {
        return false
      }
      // the text as signed: a default decoder would drop a byte-order mark the signer never saw
      let checkpointText: string
      try {
        checkpointText = decodeNote(text)
      } catch {
        return false
      }
      return verifyCosignature(checkpointText, cosignature, witness.publicKey)
    },
  }
}

/**
 * The cosignatures on `note` by `witnesses`, one per witness (its latest timestamp). Lines of
 * other keys are ignored, as signed-note says; a line of a known witness that is malformed or does
 * not verify rejects the note (CheckpointFormatError). Does not check the log's own signature.
 */
export function verifyCosignatures(note: string, witnesses: readonly WitnessKey[]): VerifiedCosignature[] {
  const { text, signatures } = splitNote(note)
  const latest = new Map<WitnessKey, number>()
  for (const line of signatures) {
    for (const witness of witnesses) {
      if (line.name !== witness.name) continue
      if (!Buffer.from(line.keyId).equals(Buffer.from(cosignatureKeyId(witness.name, witness.publicKey))))
        continue
      const cosignature = cosignatureOf(line)
      if (!verifyCosignature(text, cosignature, witness.publicKey))
        throw new CheckpointFormatError(
          `the cosignature by ${witness.name} does not verify`,
          'invalid-signature',
        )
      latest.set(witness, Math.max(latest.get(witness) ?? 0, cosignature.timestamp))
    }
  }
  return [...latest].map(([witness, timestamp]) => ({
    name: witness.name,
    publicKey: witness.publicKey,
    timestamp,
  }))
}
