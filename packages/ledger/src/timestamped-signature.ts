import { CheckpointFormatError } from './errors.ts'
import type { NoteSignature } from './signed-note.ts'

/*
 * The `timestamped_signature` of c2sp.org/tlog-cosignature, shared by its Ed25519 (0x04) and
 * ML-DSA-44 (0x06) cosignatures: an 8-byte big-endian POSIX timestamp, then the signature bytes.
 */

export const TIMESTAMP_LENGTH = 8
// The spec bounds timestamps by 2^63 - 1; this reader keeps them exact as JS numbers.
export const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER

/** A parsed cosignature line; `timestamp` is in seconds since the epoch. */
export interface Cosignature {
  name: string
  keyId: Uint8Array
  timestamp: number
  signature: Uint8Array
}

export function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP)
    throw new CheckpointFormatError(`a cosignature timestamp must be an integer from 0 to ${MAX_TIMESTAMP}`)
}

/** timestamp ‖ signature, the bytes after a cosignature line's key ID. */
export function timestampedSignature(timestamp: number, signature: Uint8Array): Uint8Array {
  checkTimestamp(timestamp)
  const bytes = new Uint8Array(TIMESTAMP_LENGTH + signature.length)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(timestamp))
  bytes.set(signature, TIMESTAMP_LENGTH)
  return bytes
}

/**
 * Reads the timestamped signature of `line`, whose signature must be `signatureLength` bytes;
 * `form` names it in the error ("a 64-byte Ed25519 signature").
 */
export function readTimestampedSignature(
  line: NoteSignature,
  signatureLength: number,
  form: string,
): Cosignature {
  if (line.signature.length !== TIMESTAMP_LENGTH + signatureLength)
    throw new CheckpointFormatError(
      `the cosignature by ${line.name} must be an 8-byte timestamp and ${form} (${TIMESTAMP_LENGTH + signatureLength} bytes after the key ID, not ${line.signature.length})`,
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
