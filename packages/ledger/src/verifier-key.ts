import { ED25519_PUBLIC_KEY_LENGTH, ML_DSA_44_PUBLIC_KEY_LENGTH } from '@pocnet/crypto'
import { cosignatureVerifier } from './cosignature.ts'
import { CheckpointFormatError } from './errors.ts'
import { mlDsaCosignatureVerifier } from './mldsa-cosignature.ts'
import {
  decodeBase64,
  ed25519NoteVerifier,
  isNoteKeyName,
  NOTE_SIGNATURE_TYPE,
  type NoteVerifier,
  noteKeyId,
} from './signed-note.ts'

/*
 * Verifier keys ("vkeys", c2sp.org/signed-note): <name>+<8 hex digits of key ID>+<base64(type ‖
 * public key)>, the one-line form in which logs and witnesses publish their keys. Types 0x01
 * (Ed25519 note signatures), 0x04 (Ed25519 cosignatures) and 0x06 (ML-DSA-44 cosignatures) are read.
 */

const KEY_ID_RULE = /^[0-9a-f]{8}$/
const PUBLIC_KEY_LENGTHS = new Map<number, number>([
  [NOTE_SIGNATURE_TYPE.ed25519, ED25519_PUBLIC_KEY_LENGTH],
  [NOTE_SIGNATURE_TYPE.cosignatureEd25519, ED25519_PUBLIC_KEY_LENGTH],
  [NOTE_SIGNATURE_TYPE.cosignatureMlDsa44, ML_DSA_44_PUBLIC_KEY_LENGTH],
])

export interface VerifierKey {
  name: string
  type: number
  publicKey: Uint8Array
  verifier: NoteVerifier
}

function vkeyError(rule: string): CheckpointFormatError {
  return new CheckpointFormatError(`verifier key: ${rule}`)
}

export function parseVerifierKey(vkey: string): VerifierKey {
  // the name holds no '+', the key ID neither; base64 may
  const [name, idHex, ...keyParts] = vkey.split('+')
  const keyText = keyParts.join('+')
  if (name === undefined || idHex === undefined || keyParts.length === 0)
    throw vkeyError('must be <name>+<key ID hex>+<base64 key>')
  if (!isNoteKeyName(name)) throw vkeyError('the name must be non-empty, without spaces or "+"')
  if (!KEY_ID_RULE.test(idHex)) throw vkeyError('the key ID must be 8 lowercase hex digits')
  const key = decodeBase64(keyText, 'verifier key')
  const type = key[0]!
  const publicKey = key.subarray(1)
  const keyLength = PUBLIC_KEY_LENGTHS.get(type)
  if (keyLength === undefined)
    throw vkeyError(
      `signature type 0x${type.toString(16).padStart(2, '0')} is not supported (0x01, 0x04, 0x06 are)`,
    )
  if (publicKey.length !== keyLength)
    throw vkeyError(
      type === NOTE_SIGNATURE_TYPE.cosignatureMlDsa44
        ? `an ML-DSA-44 public key is ${keyLength} bytes`
        : `an Ed25519 public key is ${keyLength} bytes`,
    )
  if (Buffer.from(noteKeyId(name, key.subarray(0, 1), publicKey)).toString('hex') !== idHex)
    throw vkeyError('the key ID does not match the name and key')
  const verifier =
    type === NOTE_SIGNATURE_TYPE.ed25519
      ? ed25519NoteVerifier(name, publicKey)
      : type === NOTE_SIGNATURE_TYPE.cosignatureEd25519
        ? cosignatureVerifier({ name, publicKey })
        : mlDsaCosignatureVerifier({ name, publicKey })
  return { name, type, publicKey, verifier }
}

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  const typed = new Uint8Array([type, ...publicKey])
  const id = Buffer.from(noteKeyId(name, typed.subarray(0, 1), publicKey)).toString('hex')
  return `${name}+${id}+${Buffer.from(typed).toString('base64')}`
}
