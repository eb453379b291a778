import { SignatureContext, verify } from '@pocnet/crypto'
import { NOTE_SIGNATURE_TYPE, type NoteVerifier, noteKeyId } from './signed-note.ts'

/*
 * The checkpoint signature pocnet wrote before it used standard signed-note Ed25519 (type 0x01):
 * Ed25519 over signedBytes('checkpoint/v1', body), under type 0xff followed by the identifier
 * "pocnet/checkpoint/v1". Ledgers keep those checkpoints, so readers still accept the line; the
 * ledger no longer writes it.
 */

const LEGACY_SIGNATURE_TYPE = new Uint8Array([
  NOTE_SIGNATURE_TYPE.unassigned,
  ...new TextEncoder().encode('pocnet/checkpoint/v1'),
])

/** SHA-256(name ‖ 0x0A ‖ 0xff ‖ "pocnet/checkpoint/v1" ‖ public key)[:4]. */
export function legacyCheckpointKeyId(keyName: string, publicKey: Uint8Array): Uint8Array {
  return noteKeyId(keyName, LEGACY_SIGNATURE_TYPE, publicKey)
}

/** A verifier for the legacy line of `publicKey` under `keyName`. */
export function legacyCheckpointVerifier(keyName: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name: keyName,
    keyId: legacyCheckpointKeyId(keyName, publicKey),
    verify: (text, signature) => verify(SignatureContext.checkpoint, text, signature, publicKey),
  }
}
