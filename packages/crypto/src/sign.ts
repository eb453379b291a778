import { isUtf8 } from 'node:buffer'
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto'
import { InvalidContextError, InvalidKeyError, InvalidNoteTextError } from './errors.ts'

/**
 * Every signature pocnet makes is over `"pocnet/" || context || 0x00 || message`, so a
 * signature made for one kind of message can never be replayed as another kind.
 * Contexts are fixed ASCII strings, one per message kind, listed here and in docs/protocol.md.
 */
export const SignatureContext = {
  envelopeOuter: 'envelope-outer/v1',
  envelopeInner: 'envelope-inner/v1',
  receipt: 'receipt/v1',
  directoryRecord: 'directory-record/v1',
  roster: 'roster/v1',
  checkpoint: 'checkpoint/v1',
  caseMessage: 'case-message/v1',
  ledgerKeyHandover: 'ledger-key-handover/v1',
} as const

export type SignatureContextName = (typeof SignatureContext)[keyof typeof SignatureContext]

const PREFIX = new TextEncoder().encode('pocnet/')
const CONTEXT_RULE = /^[a-z0-9][a-z0-9./-]{0,62}$/

const contextBytesCache = new Map<string, Uint8Array>()

function contextBytes(context: string): Uint8Array {
  let bytes = contextBytesCache.get(context)
  if (bytes === undefined) {
    if (!CONTEXT_RULE.test(context)) {
      throw new InvalidContextError(
        `signature context ${JSON.stringify(context)} must be 1-63 characters of a-z, 0-9, '.', '/', '-'`,
      )
    }
    const text = new TextEncoder().encode(context)
    bytes = new Uint8Array(PREFIX.length + text.length + 1)
    bytes.set(PREFIX, 0)
    bytes.set(text, PREFIX.length)
    // the trailing 0x00 is already there: it ends the context so no context is a prefix of another
    contextBytesCache.set(context, bytes)
  }
  return bytes
}

/** The exact bytes an Ed25519 signature covers for `context` and `message`. */
export function signedBytes(context: string, message: Uint8Array): Uint8Array {
  const prefix = contextBytes(context)
  const out = new Uint8Array(prefix.length + message.length)
  out.set(prefix, 0)
  out.set(message, prefix.length)
  return out
}

// DER wrappers that let node:crypto import raw 32-byte Ed25519 keys (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export const ED25519_SEED_LENGTH = 32
export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_SEED_LENGTH) throw new InvalidKeyError('an Ed25519 seed is 32 bytes')
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH)
    throw new InvalidKeyError('an Ed25519 public key is 32 bytes')
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  })
}

/** The raw Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(SPKI_ED25519_PREFIX.length))
}

/** Signs with one Ed25519 key; the imported key object is made once and reused. */
export class Signer {
  readonly publicKey: Uint8Array
  readonly #key: KeyObject

  constructor(seed: Uint8Array) {
    this.#key = privateKeyObject(seed)
    this.publicKey = ed25519PublicKey(seed)
  }

  sign(context: SignatureContextName | string, message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, signedBytes(context, message), this.#key))
  }

  /**
   * A C2SP signed-note Ed25519 signature: over the bare `text`, with no pocnet prefix, as
   * standard note verifiers (checkpoints, cosignatures) expect. Only text a signed note may
   * hold is signed, so it never contains the 0x00 every `signedBytes` holds (docs/protocol.md §2).
   */
  signNoteText(text: Uint8Array): Uint8Array {
    checkNoteText(text)
    return new Uint8Array(nodeSign(null, text, this.#key))
  }
}

/**
 * Throws unless `text` is what C2SP signed-note lets a note's text be: valid UTF-8, ending in
 * newline, with no ASCII control character other than newline.
 */
export function checkNoteText(text: Uint8Array): void {
  if (text.length === 0 || text[text.length - 1] !== 0x0a)
    throw new InvalidNoteTextError('note text must end in a newline')
  if (text.some((b) => b < 0x20 && b !== 0x0a))
    throw new InvalidNoteTextError('note text must not hold ASCII control characters other than newline')
  if (!isUtf8(text)) throw new InvalidNoteTextError('note text must be valid UTF-8')
}

// Verification keys seen recently; bounded so a flood of unknown keys cannot grow memory.
const VERIFY_KEY_CACHE_MAX = 1024
const verifyKeyCache = new Map<string, KeyObject>()

function cachedPublicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64')
  let key = verifyKeyCache.get(id)
  if (key === undefined) {
    key = publicKeyObject(publicKey)
    if (verifyKeyCache.size >= VERIFY_KEY_CACHE_MAX) {
      verifyKeyCache.delete(verifyKeyCache.keys().next().value as string)
    }
    verifyKeyCache.set(id, key)
  }
  return key
}

function verifyRaw(data: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_LENGTH || publicKey.length !== ED25519_PUBLIC_KEY_LENGTH)
    return false
  let key: KeyObject
  try {
    key = cachedPublicKeyObject(publicKey)
  } catch {
    return false // not a point on the curve
  }
  return nodeVerify(null, data, key, signature)
}

/**
 * True only if `signature` is a valid Ed25519 signature by `publicKey` over `message` under
 * `context`. Wrong-length keys or signatures are simply invalid: this never throws on
 * attacker-controlled input (only on a malformed context, which is a programming error).
 */
export function verify(
  context: SignatureContextName | string,
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verifyRaw(signedBytes(context, message), signature, publicKey)
}

/**
 * True only if `signature` is a signed-note Ed25519 signature by `publicKey` over the bare
 * `text` (what `Signer.signNoteText` makes). Never throws on attacker-controlled input.
 */
export function verifyNoteText(text: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyRaw(text, signature, publicKey)
}
