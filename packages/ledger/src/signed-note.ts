import { sha256, verifyNoteText } from '@pocnet/crypto'
import { MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_SIGNATURES } from './constants.ts'
import { CheckpointFormatError } from './errors.ts'

/*
 * C2SP signed-note (c2sp.org/signed-note): a text ending in newline, a blank line, then one or
 * more lines "— <key name> <base64(4-byte key ID ‖ signature)>". A verifier knows keys by
 * (name, key ID); it ignores lines of other keys, rejects the note when a known key's line fails,
 * and when no known key's line verifies. Verdicts match Go's golang.org/x/mod/sumdb/note on the
 * vectors in test/fixtures/c2sp-note-vectors, except that every line of a known key is checked
 * (Go checks the first per key; the spec says a known key's signature MUST be verified).
 */

/** Signed-note signature type bytes used here (c2sp.org/signed-note, "Signature types"). */
export const NOTE_SIGNATURE_TYPE = {
  /** Ed25519 over the note text. */
  ed25519: 0x01,
  /** cosignature/v1: timestamped Ed25519 (c2sp.org/tlog-cosignature). */
  cosignatureEd25519: 0x04,
  /** Timestamped ML-DSA-44 (sub)tree cosignatures (c2sp.org/tlog-cosignature). */
  cosignatureMlDsa44: 0x06,
  /** A type without an assigned byte, followed by a longer identifier. */
  unassigned: 0xff,
} as const

const textEncoder = new TextEncoder()
// fatal: invalid UTF-8 is refused, not replaced; ignoreBOM: a byte-order mark stays in the text
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const EM_DASH_PREFIX = '\u2014 '
const KEY_ID_LENGTH = 4
const BASE64_RULE = /^[A-Za-z0-9+/]+={0,2}$/
// Unicode spaces, which signed-note forbids in key names: the White_Space property, the set Go's
// unicode.IsSpace tests.
const UNICODE_SPACE = /\p{White_Space}/u
/**
 * True if `text` holds an ASCII control character other than newline, or a lone surrogate (a JS
 * string holding one is not valid UTF-8). One pass over the code units: a Unicode-property regex
 * costs more than the signature check on a short note.
 */
function hasForbiddenCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20) {
      if (c !== 0x0a) return true
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1)
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true
      i++
    }
  }
  return false
}

/** One signature line of a note, split but not verified. */
export interface NoteSignature {
  name: string
  keyId: Uint8Array
  /** The bytes after the key ID. */
  signature: Uint8Array
  /** The line as it appears in the note, without its newline. */
  line: string
}

export interface SplitNote {
  /** The signed text: everything up to and including the newline before the blank line. */
  text: string
  signatures: NoteSignature[]
}

/** A key a note verifier knows: its name, key ID, and how it checks a signature. */
export interface NoteVerifier {
  name: string
  keyId: Uint8Array
  /** True if `signature` (the bytes after the key ID) is this key's signature over `text`. */
  verify(text: Uint8Array, signature: Uint8Array): boolean
}

export interface OpenedNote extends SplitNote {
  /** Every verifier that had a line in the note, and whose every line verified. */
  verifiedBy: NoteVerifier[]
}

/** SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], the key ID signed-note recommends. */
export function noteKeyId(name: string, type: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return sha256(textEncoder.encode(`${name}\n`), type, publicKey).subarray(0, KEY_ID_LENGTH)
}

/** A signed-note key name: non-empty, no Unicode space, no '+'. */
export function isNoteKeyName(name: string): boolean {
  return name !== '' && !UNICODE_SPACE.test(name) && !name.includes('+') && !hasForbiddenCharacter(name)
}

/** A type 0x01 (plain Ed25519 over the text) verifier for `publicKey` under `name`. */
export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    keyId: noteKeyId(name, new Uint8Array([NOTE_SIGNATURE_TYPE.ed25519]), publicKey),
    verify: (text, signature) => verifyNoteText(text, signature, publicKey),
  }
}

/** `— <name> <base64(key ID ‖ signature)>`, without the newline. */
export function formatSignatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  if (!isNoteKeyName(name))
    throw new CheckpointFormatError('a key name must be non-empty, without spaces or "+"')
  return `${EM_DASH_PREFIX}${name} ${Buffer.concat([keyId, signature]).toString('base64')}`
}

export function decodeBase64(text: string, what: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64')
  // Buffer ignores junk; re-encoding proves the text was canonical base64 of these bytes
  if (!BASE64_RULE.test(text) || bytes.toString('base64') !== text)
    throw new CheckpointFormatError(`${what} is not canonical base64`)
  return new Uint8Array(bytes)
}

/** Parses one signature line (without its newline). */
export function parseSignatureLine(line: string): NoteSignature {
  const rest = line.startsWith(EM_DASH_PREFIX) ? line.slice(EM_DASH_PREFIX.length) : undefined
  const space = rest?.indexOf(' ') ?? -1
  if (rest === undefined || space < 0)
    throw new CheckpointFormatError('a signature line must be "— <key name> <base64 signature>"')
  const name = rest.slice(0, space)
  if (!isNoteKeyName(name))
    throw new CheckpointFormatError('a key name must be non-empty, without spaces or "+"')
  const raw = decodeBase64(rest.slice(space + 1), 'signature')
  if (raw.length <= KEY_ID_LENGTH)
    throw new CheckpointFormatError('a signature must hold a key ID and signature bytes')
  return { name, keyId: raw.subarray(0, KEY_ID_LENGTH), signature: raw.subarray(KEY_ID_LENGTH), line }
}

/**
 * A note's bytes as text, decoded strictly, as Go's sumdb/note reads bytes: invalid UTF-8 is
 * refused (CheckpointFormatError), never replaced, and a leading byte-order mark is kept as part
 * of the text — it was not signed, so the note fails. Every reader of stored or received notes
 * decodes through this, never through a default TextDecoder, which does both silently.
 */
export function decodeNote(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    throw new CheckpointFormatError('the note must be valid UTF-8')
  }
}

function noteString(note: string | Uint8Array): string {
  return typeof note === 'string' ? note : decodeNote(note)
}

/** Splits a signed note into its text and signature lines without checking any signature. */
export function splitNote(note: string | Uint8Array): SplitNote {
  const byteLength = typeof note === 'string' ? Buffer.byteLength(note) : note.length
  if (byteLength > MAX_CHECKPOINT_BYTES)
    throw new CheckpointFormatError(`the note must be at most ${MAX_CHECKPOINT_BYTES} bytes`)
  const text = noteString(note)
  if (hasForbiddenCharacter(text))
    throw new CheckpointFormatError(
      'the note must be valid UTF-8 without control characters other than newline',
    )
  const split = text.lastIndexOf('\n\n')
  if (split < 0) throw new CheckpointFormatError('no blank line separates the text from its signatures')
  const sigText = text.slice(split + 2)
  if (sigText === '' || !sigText.endsWith('\n'))
    throw new CheckpointFormatError('the last signature line must end in newline')
  const lines = sigText.slice(0, -1).split('\n')
  if (lines.length > MAX_CHECKPOINT_SIGNATURES)
    // refused whole, as Go's sumdb/note refuses a note past its limit: never read in part
    throw new CheckpointFormatError(
      `a note must have at most ${MAX_CHECKPOINT_SIGNATURES} signature lines; this one has ${lines.length}`,
    )
  return { text: text.slice(0, split + 1), signatures: lines.map(parseSignatureLine) }
}

function sameKey(s: NoteSignature, v: NoteVerifier): boolean {
  return s.name === v.name && Buffer.from(s.keyId).equals(Buffer.from(v.keyId))
}

/**
 * Splits `note` and verifies it against `verifiers`: lines of unknown keys are ignored, every line
 * of a known key must verify, and at least one must. Throws CheckpointFormatError otherwise, with
 * `problem` saying which rule failed.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const split = splitNote(note)
  const textBytes = textEncoder.encode(split.text)
  const verifiedBy = new Set<NoteVerifier>()
  for (const s of split.signatures) {
    const known = verifiers.filter((v) => sameKey(s, v))
    if (known.length === 0) continue
    const by = known.find((v) => v.verify(textBytes, s.signature))
    if (by === undefined)
      throw new CheckpointFormatError(`the signature by ${s.name} does not verify`, 'invalid-signature')
    verifiedBy.add(by)
  }
  if (verifiedBy.size === 0) {
    const names = [...new Set(verifiers.map((v) => v.name))].join(' or ')
    throw new CheckpointFormatError(`no signature by the key of ${names}`, 'no-verified-signature')
  }
  return { ...split, verifiedBy: [...verifiedBy] }
}
