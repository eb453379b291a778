import { type FileHandle, open } from 'node:fs/promises'
import { writeAtomically } from '@pocnet/crypto'
import { type CborValue, decode, encode } from '@pocnet/protocol/cbor'
import { MAX_BUNDLE_RECORD_BYTES } from './constants.ts'
import { BundleFormatError, BundleTruncatedError } from './errors.ts'
import { decodeNote } from './signed-note.ts'

/*
 * Export bundle: one file, "PNLBUNDL" then records of
 *   type (1 byte, ASCII) || length (4 bytes, big-endian) || payload
 * in this order: one 'H' header, the 'C' checkpoints (oldest first), the 'B' blobs, the 'E'
 * entries (in sequence order), one 'Z' trailer. Header, blob and trailer payloads are
 * deterministic CBOR; checkpoints are their note text; entries are their exact stored bytes.
 * Blobs come before entries so a verifier can check each entry's references in one pass.
 */

export const BUNDLE_MAGIC = new TextEncoder().encode('PNLBUNDL')
export const BUNDLE_FORMAT = 'pocnet-ledger-bundle'
export const BUNDLE_VERSION = 1

/** The fields of the header every bundle has; `keyRotations` is the one optional field. */
const HEADER_FIELDS = ['format', 'version', 'origin', 'publicKey', 'size', 'exportedAt'] as const
const TRAILER_FIELDS = ['entries', 'checkpoints', 'blobs'] as const

export const RECORD = {
  header: 0x48,
  checkpoint: 0x43,
  blob: 0x42,
  entry: 0x45,
  trailer: 0x5a,
} as const

export interface BundleHeader {
  origin: string
  /** The key the ledger was created with. */
  publicKey: Uint8Array
  /** Its key-rotation entries (docs/ledger.md §5, Key rotation), repeated here so checkpoints can be checked first. */
  keyRotations?: Array<{ seq: number; bytes: Uint8Array }>
  /** Tree size at export: the number of entry records that follow. */
  size: number
  exportedAt: number
}

export interface BundleContents extends BundleHeader {
  checkpoints: string[]
  /** Blob hashes, with the plaintext bytes when the export includes them. */
  blobs: AsyncIterable<{ hash: Uint8Array; bytes?: Uint8Array }>
  entries: AsyncIterable<Uint8Array>
}

const FLUSH_AT = 1024 * 1024

class RecordWriter {
  readonly #fh: FileHandle
  #chunks: Uint8Array[] = []
  #pending = 0

  constructor(fh: FileHandle) {
    this.#fh = fh
  }

  async raw(bytes: Uint8Array): Promise<void> {
    this.#chunks.push(bytes)
    this.#pending += bytes.length
    if (this.#pending >= FLUSH_AT) await this.flush()
  }

  async record(type: number, payload: Uint8Array): Promise<void> {
    if (payload.length > MAX_BUNDLE_RECORD_BYTES)
      throw new BundleFormatError(`a record must be at most ${MAX_BUNDLE_RECORD_BYTES} bytes`)
    const head = new Uint8Array(5)
    head[0] = type
    new DataView(head.buffer).setUint32(1, payload.length)
    await this.raw(head)
    await this.raw(payload)
  }

  async flush(): Promise<void> {
    if (this.#chunks.length === 0) return
    await this.#fh.write(Buffer.concat(this.#chunks))
    this.#chunks = []
    this.#pending = 0
  }
}

/**
 * Writes a bundle atomically: a temporary file beside `path`, fsync'd, then put in place. With
 * `replace: false` an existing file at `path` is never replaced (the write fails with EEXIST).
 */
export function writeBundle(
  path: string,
  contents: BundleContents,
  options: { replace?: boolean } = {},
): Promise<void> {
  return writeAtomically(
    path,
    async (fh) => {
      const w = new RecordWriter(fh)
      await w.raw(BUNDLE_MAGIC)
      const header: CborValue = {
        format: BUNDLE_FORMAT,
        version: BUNDLE_VERSION,
        origin: contents.origin,
        publicKey: contents.publicKey,
        size: contents.size,
        exportedAt: contents.exportedAt,
        // only when there are any: a bundle of a ledger never rotated is as it always was
        ...(contents.keyRotations !== undefined &&
          contents.keyRotations.length > 0 && {
            keyRotations: contents.keyRotations.map((r) => ({ seq: r.seq, entry: r.bytes })),
          }),
      }
      await w.record(RECORD.header, encode(header))
      for (const note of contents.checkpoints)
        await w.record(RECORD.checkpoint, new TextEncoder().encode(note))
      let blobs = 0
      for await (const blob of contents.blobs) {
        const payload: { [key: string]: CborValue } = { hash: blob.hash }
        if (blob.bytes !== undefined) payload.bytes = blob.bytes
        await w.record(RECORD.blob, encode(payload))
        blobs++
      }
      let entries = 0
      for await (const bytes of contents.entries) {
        await w.record(RECORD.entry, bytes)
        entries++
      }
      if (entries !== contents.size)
        throw new BundleFormatError(`the ledger yielded ${entries} entries, not its size ${contents.size}`)
      await w.record(RECORD.trailer, encode({ entries, checkpoints: contents.checkpoints.length, blobs }))
      await w.flush()
    },
    0o600,
    options,
  )
}

export interface BundleRecord {
  type: number
  payload: Uint8Array
}

const READ_CHUNK = 1024 * 1024

/**
 * Streams a bundle's records, checking the magic and every record's length cap. Records come in
 * batches (every whole record in the bytes read so far) because one await per record was most
 * of the cost of reading a large bundle. Payloads are views into read buffers that are never
 * written again.
 */
export async function* readBundleRecords(path: string): AsyncGenerator<BundleRecord[]> {
  const fh = await open(path, 'r')
  try {
    let buf: Uint8Array = new Uint8Array(0)
    let pos = 0
    let eof = false
    /** Reads until `need` bytes are buffered or the file ends; false when they are not there. */
    const fill = async (need: number): Promise<boolean> => {
      while (buf.length - pos < need && !eof) {
        const chunk = Buffer.allocUnsafe(Math.max(READ_CHUNK, need))
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, null)
        if (bytesRead === 0) eof = true
        const rest = buf.subarray(pos)
        const next = new Uint8Array(rest.length + bytesRead)
        next.set(rest, 0)
        next.set(chunk.subarray(0, bytesRead), rest.length)
        buf = next
        pos = 0
      }
      return buf.length - pos >= need
    }
    if (
      !(await fill(BUNDLE_MAGIC.length)) ||
      !Buffer.from(buf.subarray(0, 8)).equals(Buffer.from(BUNDLE_MAGIC))
    )
      throw new BundleFormatError('the file does not start with the bundle magic "PNLBUNDL"')
    pos = BUNDLE_MAGIC.length
    while (await fill(1)) {
      if (!(await fill(5))) throw new BundleTruncatedError('the file ends inside a record header (truncated)')
      const batch: BundleRecord[] = []
      // every record wholly in the buffer, without awaiting
      for (;;) {
        const available = buf.length - pos
        if (available < 5) break
        const type = buf[pos]!
        const length =
          ((buf[pos + 1]! << 24) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 8) | buf[pos + 4]!) >>> 0
        if (length > MAX_BUNDLE_RECORD_BYTES)
          throw new BundleFormatError(
            `a record claims ${length} bytes, over the ${MAX_BUNDLE_RECORD_BYTES} cap`,
          )
        if (available < 5 + length) {
          if (batch.length > 0) break
          if (!(await fill(5 + length)))
            throw new BundleTruncatedError('the file ends inside a record (truncated)')
          continue
        }
        batch.push({ type, payload: buf.subarray(pos + 5, pos + 5 + length) })
        pos += 5 + length
      }
      yield batch
    }
  } finally {
    await fh.close()
  }
}

function asMap(payload: Uint8Array, what: string): { [key: string]: CborValue } {
  let value: CborValue
  try {
    value = decode(payload, { maxBytes: MAX_BUNDLE_RECORD_BYTES })
  } catch (err) {
    throw new BundleFormatError(`the ${what} record is not deterministic CBOR: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    throw new BundleFormatError(`the ${what} record must be a CBOR map`)
  return value
}

/**
 * Refuses a record map holding a key the format does not define, or lacking one it requires:
 * a reader that ignored an extra field would accept what another reader might act on.
 */
function checkFields(
  map: { [key: string]: CborValue },
  what: string,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  for (const key of Object.keys(map))
    if (!required.includes(key) && !optional.includes(key))
      throw new BundleFormatError(`${what} holds field '${key}', which the format does not define`)
  for (const key of required)
    if (!Object.hasOwn(map, key)) throw new BundleFormatError(`${what} lacks field '${key}'`)
}

export function decodeBundleHeader(payload: Uint8Array): BundleHeader {
  const h = asMap(payload, 'header')
  checkFields(h, 'the header', HEADER_FIELDS, ['keyRotations'])
  if (h.format !== BUNDLE_FORMAT || h.version !== BUNDLE_VERSION)
    throw new BundleFormatError(`the header must name format ${BUNDLE_FORMAT} version ${BUNDLE_VERSION}`)
  if (typeof h.origin !== 'string') throw new BundleFormatError("header field 'origin' must be text")
  if (!(h.publicKey instanceof Uint8Array))
    throw new BundleFormatError("header field 'publicKey' must be bytes")
  if (typeof h.size !== 'number' || h.size < 0)
    throw new BundleFormatError("header field 'size' must be a count")
  if (typeof h.exportedAt !== 'number')
    throw new BundleFormatError("header field 'exportedAt' must be a time")
  const header: BundleHeader = {
    origin: h.origin,
    publicKey: h.publicKey,
    size: h.size,
    exportedAt: h.exportedAt,
  }
  if (h.keyRotations !== undefined) header.keyRotations = decodeKeyRotations(h.keyRotations)
  return header
}

function decodeKeyRotations(value: CborValue): Array<{ seq: number; bytes: Uint8Array }> {
  const rule = "header field 'keyRotations' must be a list of { seq, entry } in sequence order"
  if (!Array.isArray(value)) throw new BundleFormatError(rule)
  let previous = -1
  return value.map((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r) || r instanceof Uint8Array)
      throw new BundleFormatError(rule)
    checkFields(r, "an item of header field 'keyRotations'", ['seq', 'entry'])
    const { seq, entry } = r
    if (
      typeof seq !== 'number' ||
      !Number.isSafeInteger(seq) ||
      seq <= previous ||
      !(entry instanceof Uint8Array)
    )
      throw new BundleFormatError(rule)
    previous = seq
    return { seq, bytes: entry }
  })
}

export function decodeBundleBlob(payload: Uint8Array): { hash: Uint8Array; bytes?: Uint8Array } {
  const b = asMap(payload, 'blob')
  checkFields(b, 'a blob record', ['hash'], ['bytes'])
  if (!(b.hash instanceof Uint8Array) || b.hash.length !== 32)
    throw new BundleFormatError("blob field 'hash' must be 32 bytes")
  if (b.bytes !== undefined && !(b.bytes instanceof Uint8Array))
    throw new BundleFormatError("blob field 'bytes' must be bytes when present")
  return b.bytes === undefined ? { hash: b.hash } : { hash: b.hash, bytes: b.bytes }
}

export function decodeBundleTrailer(payload: Uint8Array): {
  entries: number
  checkpoints: number
  blobs: number
} {
  const t = asMap(payload, 'trailer')
  checkFields(t, 'the trailer', TRAILER_FIELDS)
  if (typeof t.entries !== 'number' || typeof t.checkpoints !== 'number' || typeof t.blobs !== 'number')
    throw new BundleFormatError("the trailer must count 'entries', 'checkpoints' and 'blobs'")
  return { entries: t.entries, checkpoints: t.checkpoints, blobs: t.blobs }
}

function checkpointNote(payload: Uint8Array): string {
  try {
    return decodeNote(payload)
  } catch (err) {
    throw new BundleFormatError(`a checkpoint record: ${(err as Error).message}`)
  }
}

/** One record of a bundle, decoded. */
export type BundleItem =
  | { type: 'header'; header: BundleHeader }
  | { type: 'checkpoint'; note: string }
  | { type: 'blob'; hash: Uint8Array; bytes?: Uint8Array }
  | { type: 'entry'; bytes: Uint8Array }
  | { type: 'trailer'; entries: number; checkpoints: number; blobs: number }

/**
 * Reads a bundle's records in file order, decoded, in batches (as `readBundleRecords`). It checks
 * the format of each record, not the ledger: `verifyLedger` does that, and a reader that must
 * trust what it reads verifies first.
 */
export async function* readBundle(path: string): AsyncGenerator<BundleItem[]> {
  for await (const records of readBundleRecords(path)) {
    const batch: BundleItem[] = []
    for (const { type, payload } of records) {
      switch (type) {
        case RECORD.header:
          batch.push({ type: 'header', header: decodeBundleHeader(payload) })
          break
        case RECORD.checkpoint:
          batch.push({ type: 'checkpoint', note: checkpointNote(payload) })
          break
        case RECORD.blob:
          batch.push({ type: 'blob', ...decodeBundleBlob(payload) })
          break
        case RECORD.entry:
          batch.push({ type: 'entry', bytes: payload })
          break
        case RECORD.trailer:
          batch.push({ type: 'trailer', ...decodeBundleTrailer(payload) })
          break
        default:
          throw new BundleFormatError(`unknown record type 0x${type.toString(16).padStart(2, '0')}`)
      }
    }
    yield batch
  }
}
