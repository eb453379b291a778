import { verifyNoteText } from '@pocnet/crypto'
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

/*
 * cosignature/v1 (c2sp.org/tlog-cosignature, Ed25519): a witness's signature line on a checkpoint,
 * key ID SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], signature bytes an 8-byte big-endian POSIX
 * timestamp ‖ Ed25519 over "cosignature/v1\ntime <timestamp>\n" ‖ the checkpoint's note text.
 * It states that, at that time, this was the largest consistent tree the witness had seen of the log.
 */

const textEncoder = new TextEncoder()
const COSIGNATURE_TYPE = new Uint8Array([NOTE_SIGNATURE_TYPE.cosignatureEd25519])
const TIMESTAMP_LENGTH = 8
const ED25519_SIGNATURE_LENGTH = 64
// The spec bounds timestamps by 2^63 - 1; this reader keeps them exact as JS numbers.
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER

/** A witness key as verifiers know it: the cosigner's name and Ed25519 public key. */
export interface WitnessKey {
  name: string
  publicKey: Uint8Array
}

/** A witness key with what signs for it (crypto's `Signer` does). */
export interface Cosigner extends WitnessKey {
  signer: { signNoteText(text: Uint8Array): Uint8Array }
}

/** A parsed cosignature line; `timestamp` is in seconds since the epoch. */
export interface Cosignature {
  name: string
  keyId: Uint8Array
  timestamp: number
  signature: Uint8Array
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

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP)
    throw new CheckpointFormatError(`a cosignature timestamp must be an integer from 0 to ${MAX_TIMESTAMP}`)
}

/** The exact bytes a cosignature/v1 signature covers. */
export function cosignedMessage(checkpointText: string, timestamp: number): Uint8Array {
  checkTimestamp(timestamp)
  return textEncoder.encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`)
}

/** Cosigns the note text of a checkpoint at `timestamp` (seconds); returns the signature line. */
export function signCosignature(cosigner: Cosigner, checkpointText: string, timestamp: number): string {
  const signature = cosigner.signer.signNoteText(cosignedMessage(checkpointText, timestamp))
  const bytes = new Uint8Array(TIMESTAMP_LENGTH + signature.length)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(timestamp))
  bytes.set(signature, TIMESTAMP_LENGTH)
  return formatSignatureLine(cosigner.name, cosignatureKeyId(cosigner.name, cosigner.publicKey), bytes)
}

function cosignatureOf(line: NoteSignature): Cosignature {
  if (line.signature.length !== TIMESTAMP_LENGTH + ED25519_SIGNATURE_LENGTH)
    throw new CheckpointFormatError(
      `the cosignature by ${line.name} must be an 8-byte timestamp and a 64-byte Ed25519 signature`,
    )
  const view = new DataView(line.signature.buffer, line.signature.byteOffset, TIMESTAMP_LENGTH)
  const timestamp = view.getBigUint64(0)
  if (timestamp > BigInt(MAX_TIMESTAMP))
    throw new CheckpointFormatError(`the cosignature by ${line.name} has a timestamp beyond ${MAX_TIMESTAMP}`)
  return {
    name: line.name,
    keyId: line.keyId,
    timestamp: Number(timestamp),
    signature: line.signature.subarray(TIMESTAMP_LENGTH),
  }
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
  if (!Buffer.from(cosignature.keyId).equals(Buffer.from(cosignatureKeyId(cosignature.name, publicKey))))
    return false
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
 * Adds cosignature lines (without newlines, as `signCosignature` returns them) to a signed
 * checkpoint note; lines already there are not repeated. Checks each line's shape, not its signature.
 */
export function addCosignatures(note: string, lines: readonly string[]): string {
  const present = new Set(splitNote(note).signatures.map((s) => s.line))
  let out = note
  for (const line of lines) {
    parseCosignature(line)
    if (present.has(line)) continue
    present.add(line)
    out += `${line}\n`
  }
  splitNote(out) // the result must still be a note a reader accepts (size, line count)
  return out
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
