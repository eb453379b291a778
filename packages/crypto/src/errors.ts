/** Base class of every error this package throws on purpose. */
export class CryptoError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** A key was the wrong length or shape. */
export class InvalidKeyError extends CryptoError {
  constructor(message: string) {
    super('ERR_INVALID_KEY', message)
  }
}

/** A signature context string broke the rules in `sign.ts`. */
export class InvalidContextError extends CryptoError {
  constructor(message: string) {
    super('ERR_INVALID_CONTEXT', message)
  }
}

/** Bytes handed to `Signer.signNoteText` are not text a C2SP signed note may hold. */
export class InvalidNoteTextError extends CryptoError {
  constructor(rule: string) {
    super('ERR_INVALID_NOTE_TEXT', `${rule} (only signed-note text is signed without a pocnet context)`)
  }
}

export type KeyFileProblem =
  | 'not-found'
  | 'truncated'
  | 'corrupted'
  | 'unsupported-version'
  | 'unsafe-parameters'
  | 'wrong-passphrase'

const keyFileMessages: Record<KeyFileProblem, string> = {
  'not-found': 'no key file at this path',
  truncated: 'the key file is shorter than its format requires (truncated copy?)',
  corrupted: 'the key file fails its checksum: its bytes were changed or damaged',
  'unsupported-version': 'the key file was written by an unknown format version',
  'unsafe-parameters': 'the key file asks for scrypt parameters outside the accepted range',
  'wrong-passphrase': 'the passphrase does not unlock this key file',
}

/** A key file could not be read; `problem` says which of the known failures it was. */
export class KeyFileError extends CryptoError {
  readonly problem: KeyFileProblem
  readonly path: string
  constructor(problem: KeyFileProblem, path: string) {
    super(
      `ERR_KEY_FILE_${problem.toUpperCase().replaceAll('-', '_')}`,
      `${path}: ${keyFileMessages[problem]}`,
    )
    this.problem = problem
    this.path = path
  }
}
