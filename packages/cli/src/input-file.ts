import { FileGrewError, type FileLimit, FileTooLargeError, readFileWithin } from '@pocnet/crypto/bounded-file'
import { CliError, EXIT } from './errors.ts'

/** What a file given on the command line holds, the most bytes any valid one can have, and its errors. */
export interface InputFileKind extends FileLimit {
  /** The error's code when the file cannot be read or is too large. */
  code: string
  /** Said after a failure to read the file (a missing one, a folder). */
  hint?: string
  /** The exit code of every error (default: EXIT.failure). */
  exitCode?: number
}

/** The options of a CliError about a file of `kind`. */
function errorOptions(kind: InputFileKind, hint = kind.hint): { hint?: string; exitCode: number } {
  return { ...(hint === undefined ? {} : { hint }), exitCode: kind.exitCode ?? EXIT.failure }
}

/**
 * The bytes of a file the user named, its size checked before it is read (readFileWithin): a file
 * larger than any valid one of its kind is refused unread, with its size and the limit.
 */
export async function readInputFile(path: string, kind: InputFileKind): Promise<Buffer> {
  try {
    return await readFileWithin(path, kind)
  } catch (e) {
    if (e instanceof FileTooLargeError)
      throw new CliError(
        kind.code,
        e.message,
        errorOptions(kind, `is ${path} the ${kind.what} you meant to give?`),
      )
    if (e instanceof FileGrewError)
      throw new CliError(
        kind.code,
        e.message,
        errorOptions(kind, 'wait until whatever writes it is done, then run the command again'),
      )
    throw new CliError(
      kind.code,
      `cannot read ${kind.what} ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      errorOptions(kind),
    )
  }
}
