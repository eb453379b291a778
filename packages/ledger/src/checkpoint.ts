import { SignatureContext, sha256, verify } from '@pocnet/crypto'
import { HASH_LENGTH, MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_SIGNATURES } from './constants.ts'
import { CheckpointFormatError } from './errors.ts'

/*
 * Checkpoints are C2SP tlog-checkpoint bodies in a C2SP signed note:
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n\n— <origin> <base64(key ID || signature)>\n
 *
 * The signature is Ed25519 over signedBytes('checkpoint/v1', body) — domain-separated like every
 * pocnet signature — rather than over the bare body, so it is not a signed-note type 0x01
 * signature. Per signed-note it therefore uses type 0xff followed by an identifier, and the key
 * ID is SHA-256(name || 0x0A || 0xff || "pocnet/checkpoint/v1" || public key)[:4]; a standard
 * note verifier sees an unknown key and ignores the line rather than failing on it.
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
const SIGNATURE_TYPE = new Uint8Array([0xff, ...textEncoder.encode('pocnet/checkpoint/v1')])
const EM_DASH_PREFIX = '\u2014 '
// Printable ASCII except space and '+': a signed-note key name and a schema-less URL.
const ORIGIN_RULE = /^[!-*,-~]{1,255}$/
const SIZE_RULE = /^(?:0|[1-9][0-9]{0,15})$/
const BASE64_RULE = /^[A-Za-z0-9+/]+={0,2}$/

/** The origin line pocnet uses: one log per node, named by network and country. */
export function checkpointOrigin(networkId: string, country: string): string {
  const origin = `pocnet.invalid/${networkId}/${country}`
  if (!ORIGIN_RULE.test(origin))
    throw new CheckpointFormatError('origin must be printable ASCII without spaces or "+"')
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

/** The 4-byte key ID of an Ed25519 key under the pocnet checkpoint signature type. */
export function checkpointKeyId(keyName: string, publicKey: Uint8Array): Uint8Array {
  return sha256(textEncoder.encode(`${keyName}\n`), SIGNATURE_TYPE, publicKey).subarray(0, 4)
}

export interface CheckpointSigner {
  sign(context: string, message: Uint8Array): Uint8Array
}

/** Signs `checkpoint`, with the key name equal to its origin. */
export function signCheckpoint(
  checkpoint: Checkpoint,
  signer: CheckpointSigner,
  publicKey: Uint8Array,
): SignedCheckpoint {
  const body = checkpointBody(checkpoint)
  const signature = signer.sign(SignatureContext.checkpoint, textEncoder.encode(body))
  const keyId = checkpointKeyId(checkpoint.origin, publicKey)
  const blob = Buffer.concat([keyId, signature]).toString('base64')
  return { ...checkpoint, note: `${body}\n${EM_DASH_PREFIX}${checkpoint.origin} ${blob}\n` }
}

interface ParsedNote {
  checkpoint: Checkpoint
  body: string
  signatures: Array<{ name: string; keyId: Uint8Array; signature: Uint8Array }>
}

function decodeBase64(text: string, what: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64')
  // Buffer ignores junk; re-encoding proves the text was canonical base64 of these bytes
  if (!BASE64_RULE.test(text) || bytes.toString('base64') !== text)
    throw new CheckpointFormatError(`${what} is not canonical base64`)
  return new Uint8Array(bytes)
}

/** Parses a signed checkpoint note without checking any signature. */
export function parseCheckpoint(note: string): ParsedNote {
  if (textEncoder.encode(note).length > MAX_CHECKPOINT_BYTES)
    throw new CheckpointFormatError(`the note must be at most ${MAX_CHECKPOINT_BYTES} bytes`)
  if ([...note].some((ch) => ch < ' ' && ch !== '\n'))
    throw new CheckpointFormatError('the note must not contain control characters other than newline')
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw new CheckpointFormatError('no blank line separates the text from its signatures')
  const body = note.slice(0, split + 1)
  const lines = body.slice(0, -1).split('\n')
  if (lines.length !== 3)
    throw new CheckpointFormatError('the body must be exactly origin, tree size and root hash lines')
  const [origin, sizeText, rootText] = lines as [string, string, string]
  checkOrigin(origin)
  if (!SIZE_RULE.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw new CheckpointFormatError('tree size must be a decimal integer without leading zeros')
  const root = decodeBase64(rootText, 'root hash')
  if (root.length !== HASH_LENGTH) throw new CheckpointFormatError('root hash must be 32 bytes')

  const sigText = note.slice(split + 2)
  if (!sigText.endsWith('\n')) throw new CheckpointFormatError('the last signature line must end in newline')
  const sigLines = sigText.slice(0, -1).split('\n')
  if (sigLines.length > MAX_CHECKPOINT_SIGNATURES)
    throw new CheckpointFormatError(`at most ${MAX_CHECKPOINT_SIGNATURES} signature lines are read`)
  const signatures = sigLines.map((line) => {
    const parts = line.startsWith(EM_DASH_PREFIX) ? line.slice(EM_DASH_PREFIX.length).split(' ') : []
    if (parts.length !== 2 || parts[0] === '' || parts[0]!.includes('+'))
      throw new CheckpointFormatError('a signature line must be "— <key name> <base64 signature>"')
    const raw = decodeBase64(parts[1]!, 'signature')
    if (raw.length < 5) throw new CheckpointFormatError('a signature must hold a key ID and signature bytes')
    return { name: parts[0]!, keyId: raw.subarray(0, 4), signature: raw.subarray(4) }
  })
  return { checkpoint: { origin, size: Number(sizeText), root }, body, signatures }
}

/**
 * Parses `note` and checks it carries a valid signature by `publicKey` under its origin as key
 * name. Signature lines of other keys are ignored; a line of this key that fails rejects the note.
 * Throws CheckpointFormatError when the note is malformed or not validly signed.
 */
export function verifyCheckpoint(note: string, publicKey: Uint8Array): SignedCheckpoint {
  const parsed = parseCheckpoint(note)
  const name = parsed.checkpoint.origin
  const keyId = checkpointKeyId(name, publicKey)
  const mine = parsed.signatures.filter(
    (s) => s.name === name && Buffer.from(s.keyId).equals(Buffer.from(keyId)),
  )
  if (mine.length === 0) throw new CheckpointFormatError(`no signature by the key of ${name}`)
  const bodyBytes = textEncoder.encode(parsed.body)
  for (const s of mine) {
    if (!verify(SignatureContext.checkpoint, bodyBytes, s.signature, publicKey))
      throw new CheckpointFormatError(`the signature by ${name} does not verify`)
  }
  return { ...parsed.checkpoint, note }
}
