import { LEDGER_ORIGIN_RULE, ledgerOrigin } from '@pocnet/protocol/formats'
import { legacyCheckpointVerifier } from './checkpoint-legacy.ts'
import { HASH_LENGTH } from './constants.ts'
import { CheckpointFormatError } from './errors.ts'
import {
  decodeBase64,
  ed25519NoteVerifier,
  formatSignatureLine,
  type NoteSignature,
  type NoteVerifier,
  openNote,
  splitNote,
} from './signed-note.ts'

/*
 * Checkpoints are C2SP tlog-checkpoint bodies in a C2SP signed note:
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n\n— <origin> <base64(key ID || signature)>\n
 *
 * signed with a standard signed-note Ed25519 signature (type 0x01, over the bare body, key ID
 * SHA-256(origin || 0x0A || 0x01 || public key)[:4]), so Go's sumdb/note and every C2SP witness
 * verify them. Why the node key may sign a bare body: docs/protocol.md §2. Checkpoints written
 * before carry the legacy line of checkpoint-legacy.ts, which readers still accept.
 */

export interface Checkpoint {
  origin: string
  size: number
  root: Uint8Array
}

export interface SignedCheckpoint extends Checkpoint {
  /** The whole signed note, as stored and exported. */
  note: string
}

const textEncoder = new TextEncoder()
// Printable ASCII except space and '+': a signed-note key name and a schema-less URL.
const ORIGIN_RULE = /^[!-*,-~]{1,255}$/
const SIZE_RULE = /^(?:0|[1-9][0-9]{0,15})$/

/** The origin line pocnet uses: one log per node, named by network and country. */
export function checkpointOrigin(networkId: string, country: string): string {
  const origin = ledgerOrigin(networkId, country)
  if (origin === undefined)
    throw new CheckpointFormatError(
      `origin for network ${JSON.stringify(networkId)} and country ${JSON.stringify(country)}: must be ${LEDGER_ORIGIN_RULE}`,
    )
  return origin
}

export function checkOrigin(origin: string): void {
  if (!ORIGIN_RULE.test(origin))
    throw new CheckpointFormatError('origin must be 1-255 printable ASCII characters without spaces or "+"')
}

/** The checkpoint body: the text the signature covers. */
export function checkpointBody(checkpoint: Checkpoint): string {
  checkOrigin(checkpoint.origin)
  if (checkpoint.root.length !== HASH_LENGTH) throw new CheckpointFormatError('root must be 32 bytes')
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0)
    throw new CheckpointFormatError('tree size must be a non-negative integer')
  return `${checkpoint.origin}\n${checkpoint.size}\n${Buffer.from(checkpoint.root).toString('base64')}\n`
}

/** The 4-byte key ID of an Ed25519 key under signed-note type 0x01: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]. */
export function checkpointKeyId(keyName: string, publicKey: Uint8Array): Uint8Array {
  return ed25519NoteVerifier(keyName, publicKey).keyId
}

/** Signs the bare text of a signed note with Ed25519 (crypto's `Signer` does). */
export interface CheckpointSigner {
  signNoteText(text: Uint8Array): Uint8Array
}

/** Signs `checkpoint`, with the key name equal to its origin. */
export function signCheckpoint(
  checkpoint: Checkpoint,
  signer: CheckpointSigner,
  publicKey: Uint8Array,
): SignedCheckpoint {
  const body = checkpointBody(checkpoint)
  const signature = signer.signNoteText(textEncoder.encode(body))
  const line = formatSignatureLine(
    checkpoint.origin,
    checkpointKeyId(checkpoint.origin, publicKey),
    signature,
  )
  return { ...checkpoint, note: `${body}\n${line}\n` }
}

interface ParsedNote {
  checkpoint: Checkpoint
  body: string
  signatures: NoteSignature[]
}

/** Reads a checkpoint body: exactly origin, tree size and root hash lines (pocnet writes no extensions). */
export function parseCheckpointBody(body: string): Checkpoint {
  const lines = body.slice(0, -1).split('\n')
  if (!body.endsWith('\n') || lines.length !== 3)
    throw new CheckpointFormatError('the body must be exactly origin, tree size and root hash lines')
  const [origin, sizeText, rootText] = lines as [string, string, string]
  checkOrigin(origin)
  if (!SIZE_RULE.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw new CheckpointFormatError('tree size must be a decimal integer without leading zeros')
  const root = decodeBase64(rootText, 'root hash')
  if (root.length !== HASH_LENGTH) throw new CheckpointFormatError('root hash must be 32 bytes')
  return { origin, size: Number(sizeText), root }
}

/** Parses a signed checkpoint note without checking any signature. */
export function parseCheckpoint(note: string): ParsedNote {
  const { text, signatures } = splitNote(note)
  return { checkpoint: parseCheckpointBody(text), body: text, signatures }
}

function openCheckpointWith(note: string, verifiersOf: (origin: string) => NoteVerifier[]): SignedCheckpoint {
  const { checkpoint } = parseCheckpoint(note)
  openNote(note, verifiersOf(checkpoint.origin))
  return { ...checkpoint, note }
}

/**
 * Parses `note` and checks it carries a valid signature by `publicKey` under its origin as key
 * name, standard (type 0x01) or legacy. Signature lines of other keys are ignored; a line of this
 * key that fails rejects the note. Throws CheckpointFormatError when the note is malformed or not
 * validly signed.
 */
export function verifyCheckpoint(note: string, publicKey: Uint8Array): SignedCheckpoint {
  return openCheckpointWith(note, (origin) => [
    ed25519NoteVerifier(origin, publicKey),
    legacyCheckpointVerifier(origin, publicKey),
  ])
}

/**
 * Like verifyCheckpoint, but only standard signed-note Ed25519 lines count, by any of
 * `publicKeys` (a log may sign with more than one): what a C2SP witness accepts.
 */
export function verifyStandardCheckpoint(note: string, publicKeys: readonly Uint8Array[]): SignedCheckpoint {
  return openCheckpointWith(note, (origin) => publicKeys.map((key) => ed25519NoteVerifier(origin, key)))
}
