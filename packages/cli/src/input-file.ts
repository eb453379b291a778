import { open } from 'node:fs/promises'
import { CliError, EXIT } from './errors.ts'

/** What a file given on the command line holds, and the most bytes any valid one can have. */
export interface InputFileKind {
  /** The file in the user's words, e.g. "request form". */
  what: string
  /** Most bytes a valid file of this kind can have. */
  maxBytes: number
  /** Why no valid file is larger, said in the error (e.g. "a form's data goes in one 1 MiB envelope"). */
  why: string
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

/** 4194304 → "4 MiB", 62914560 → "60.0 MiB", 900 → "900 bytes". */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB']
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`
}

function tooLarge(path: string, size: number | string, kind: InputFileKind): CliError {
  return new CliError(
    kind.code,
    `${path}: this ${kind.what} is ${typeof size === 'number' ? `${byteSize(size)} (${size} bytes)` : size}, and no ${kind.what} is larger than ${byteSize(kind.maxBytes)} (${kind.maxBytes} bytes): ${kind.why}`,
    errorOptions(kind, `is ${path} the ${kind.what} you meant to give?`),
  )
}

/**
 * The bytes of a file the user named, its size checked before it is read: a file larger than
 * any valid one of its kind is refused unread (a 60 MB "form" once took 25 s and 2.3 GB of memory
 * before the form's own checks refused it). A file that grows after the check is refused too.
 */
export async function readInputFile(path: string, kind: InputFileKind): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (e) {
    throw new CliError(
      kind.code,
      `cannot read ${kind.what} ${path} (${(e as NodeJS.ErrnoException).code})`,
      errorOptions(kind),
    )
  }
  try {
    const stats = await handle.stat()
    const regular = stats.isFile()
    if (regular && stats.size > kind.maxBytes) throw tooLarge(path, stats.size, kind)
    // one byte more than can be taken: a regular file's size, a pipe's (`<(...)`) limit
    const buffer = Buffer.alloc((regular ? stats.size : kind.maxBytes) + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length === buffer.length) {
      if (!regular) throw tooLarge(path, `over ${byteSize(kind.maxBytes)}`, kind)
      throw new CliError(
        kind.code,
        `cannot read ${kind.what} ${path}: it grew while it was read`,
        errorOptions(kind, 'wait until whatever writes it is done, then run the command again'),
      )
    }
    return buffer.subarray(0, length)
  } catch (e) {
    if (e instanceof CliError) throw e
    throw new CliError(
      kind.code,
      `cannot read ${kind.what} ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      errorOptions(kind),
    )
  } finally {
    await handle.close()
  }
}
