import { open } from 'node:fs/promises'
import { CryptoError } from './errors.ts'

/** A kind of file read whole into memory, and the most bytes any valid one of its kind has. */
export interface FileLimit {
  /** The file in the user's words, e.g. "roster proposal". */
  what: string
  /** Most bytes a valid file of this kind can have. */
  maxBytes: number
  /** Why no valid file is larger, said in the error (e.g. "a form's data goes in one 1 MiB envelope"). */
  why: string
}

/** 4194304 → "4 MiB", 62914560 → "60.0 MiB", 900 → "900 bytes". */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB']
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`
}

/** 900 → "900 bytes", 4194305 → "4.0 MiB (4194305 bytes)": rounded for people, exact for the record. */
function exactSize(bytes: number): string {
  return bytes < 1024 ? byteSize(bytes) : `${byteSize(bytes)} (${bytes} bytes)`
}

/** A file is larger than any valid one of its kind: refused unread (a pipe: read up to its limit). */
export class FileTooLargeError extends CryptoError {
  readonly path: string
  /** The file's size; undefined for a pipe, which has none until it is read to its end. */
  readonly size: number | undefined
  readonly maxBytes: number
  constructor(path: string, size: number | undefined, limit: FileLimit) {
    const { what, maxBytes, why } = limit
    const found = size === undefined ? `over ${byteSize(maxBytes)}` : exactSize(size)
    super(
      'ERR_FILE_TOO_LARGE',
      `${path}: this ${what} is ${found}, and no ${what} is larger than ${exactSize(maxBytes)}: ${why}`,
    )
    this.path = path
    this.size = size
    this.maxBytes = maxBytes
  }
}

/** A regular file grew between its size check and the end of its reading. */
export class FileGrewError extends CryptoError {
  readonly path: string
  constructor(path: string, what: string) {
    super('ERR_FILE_GREW', `cannot read ${what} ${path}: it grew while it was read`)
    this.path = path
  }
}

/**
 * The bytes of a file, its size checked before it is read: one larger than any valid file of its
 * kind is refused unread (a 60 MB "form" once took 25 s and 2.3 GB of memory before the form's own
 * checks refused it). A pipe (`<(...)`) has no size to check, so it is read up to the limit and
 * one byte. Failures to open or read (ENOENT, EISDIR) are Node's own errors, for the caller to word.
 */
export async function readFileWithin(path: string, limit: FileLimit): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const stats = await handle.stat()
    const regular = stats.isFile()
    if (regular && stats.size > limit.maxBytes) throw new FileTooLargeError(path, stats.size, limit)
    // one byte more than can be taken: a regular file's size, a pipe's limit
    const buffer = Buffer.alloc((regular ? stats.size : limit.maxBytes) + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length === buffer.length) {
      if (!regular) throw new FileTooLargeError(path, undefined, limit)
      throw new FileGrewError(path, limit.what)
    }
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}
