import { checkSha256 } from './formats.ts'
import { readFormatted } from './identifiers.ts'
import type { FormReader } from './problems.ts'

/**
 * How an attachment's bytes travel (docs/protocol.md §12): the receiver pulls `chunks.length`
 * parts of `chunkSize` bytes (the last one shorter) from the sender, each sealed with AES-256-GCM
 * under `key`. The case message carrying this is sealed end to end and signed, so the key and the
 * hashes reach only the counterpart, unaltered.
 */
export interface AttachmentTransfer {
  /** 32 hex characters, random: names the attachment on the attachment protocol. */
  readonly id: string
  readonly chunkSize: number
  /** SHA-256 (hex) of each chunk's plain bytes, in order. */
  readonly chunks: readonly string[]
  /** The per-attachment AES-256 key, 64 hex characters; fresh for each attachment. */
  readonly key: string
}

/** A file named by its SHA-256, name and size so both sides can check it; with `transfer`, its bytes travel too. */
export interface Attachment {
  readonly name: string
  readonly sha256: string
  readonly size: number
  readonly mediaType?: string
  readonly transfer?: AttachmentTransfer
}

/** Smallest and largest chunk sizes a transfer may use: below, the per-chunk cost dominates; above, a chunk's frame is too large. */
export const MIN_CHUNK_BYTES = 16 * 1024
export const MAX_CHUNK_BYTES = 2 * 1024 * 1024
/** Most chunks one attachment may have: 16 GiB at 1 MiB, far beyond any sane per-file cap. */
export const MAX_CHUNKS = 16_384
/** Most attachments one message may carry. */
export const MAX_ATTACHMENTS = 100

const ATTACHMENT_FIELDS = ['name', 'sha256', 'size', 'mediaType', 'transfer'] as const
const TRANSFER_FIELDS = ['id', 'chunkSize', 'chunks', 'key'] as const
const NAME = { required: true, max: 300 } as const

/** How many chunks of `chunkSize` a file of `size` bytes makes (none for an empty file). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize)
}

function readHex(
  reader: FormReader,
  text: string | undefined,
  at: string,
  length: number,
): string | undefined {
  if (text === undefined) return undefined
  if (text.length !== length || !/^[0-9a-f]+$/.test(text))
    return reader.report(at, 'format', `must be ${length} lowercase hexadecimal characters`)
  return text
}

function readTransfer(
  reader: FormReader,
  value: unknown,
  path: string,
  size: number | undefined,
): AttachmentTransfer | undefined {
  const f = reader.object(value, path, TRANSFER_FIELDS)
  if (f === undefined) return undefined
  const id = readHex(reader, reader.string(f, 'id', path, { required: true, max: 32 }), `${path}.id`, 32)
  const key = readHex(reader, reader.string(f, 'key', path, { required: true, max: 64 }), `${path}.key`, 64)
  const chunkSize = reader.integer(f, 'chunkSize', path, {
    required: true,
    min: MIN_CHUNK_BYTES,
    max: MAX_CHUNK_BYTES,
  })
  const chunks = reader.list(f, 'chunks', path, { min: 0, max: MAX_CHUNKS }, (v, p) =>
    typeof v === 'string' && checkSha256(v).ok && v === v.toLowerCase()
      ? v
      : reader.report(p, 'format', 'must be a SHA-256 hash: 64 lowercase hexadecimal characters'),
  )
  if (id === undefined || key === undefined || chunkSize === undefined || chunks === undefined)
    return undefined
  if (reader.reported(`${path}.chunks`)) return undefined
  if (size !== undefined && chunks.length !== chunkCount(size, chunkSize))
    return reader.report(
      `${path}.chunks`,
      'consistency',
      `has ${chunks.length} hashes, but a file of ${size} bytes in chunks of ${chunkSize} makes ${chunkCount(size, chunkSize)}`,
    )
  return { id, chunkSize, chunks, key }
}

/** Reads one attachment of a request form or a case event; problems go to `reader`. */
export function readAttachment(reader: FormReader, value: unknown, path: string): Attachment | undefined {
  const f = reader.object(value, path, ATTACHMENT_FIELDS)
  if (f === undefined) return undefined
  const name = reader.string(f, 'name', path, NAME)
  const sha256 = readFormatted(reader, f, 'sha256', path, true, checkSha256)
  const size = reader.integer(f, 'size', path, { required: true, min: 0, max: Number.MAX_SAFE_INTEGER })
  const mediaType = reader.string(f, 'mediaType', path, { required: false, max: 300 })
  const transfer = reader.present(f, 'transfer')
    ? readTransfer(reader, f.transfer, `${path}.transfer`, size)
    : undefined
  if (name === undefined || sha256 === undefined || size === undefined) return undefined
  if (reader.present(f, 'transfer') && transfer === undefined) return undefined
  return {
    name,
    sha256,
    size,
    ...(mediaType !== undefined && { mediaType }),
    ...(transfer !== undefined && { transfer }),
  }
}

/** Reads the `attachments` list of a form or event (at most MAX_ATTACHMENTS, ids distinct). */
export function readAttachments(
  reader: FormReader,
  fields: Record<string, unknown>,
  path: string,
): Attachment[] | undefined {
  const list = reader.list(fields, 'attachments', path, { min: 0, max: MAX_ATTACHMENTS }, (v, p) =>
    readAttachment(reader, v, p),
  )
  if (list === undefined) return undefined
  const ids = list.flatMap((a) => (a.transfer === undefined ? [] : [a.transfer.id]))
  if (new Set(ids).size !== ids.length)
    return reader.report(
      path === '' ? 'attachments' : `${path}.attachments`,
      'consistency',
      'names the same transfer id twice',
    )
  return list
}
