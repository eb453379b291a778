import { stat } from 'node:fs/promises'
import { bytesEqual, toHex } from '@pocnet/crypto'
import { blobHash } from '../blobs.ts'
import {
  type BundleRecord,
  decodeBundleBlob,
  decodeBundleHeader,
  decodeBundleTrailer,
  RECORD,
  readBundleRecords,
} from '../bundle.ts'
import { parseCheckpoint } from '../checkpoint.ts'
import { BundleTruncatedError } from '../errors.ts'
import { Failure } from './report.ts'
import {
  type BlobStatus,
  type EntrySink,
  type LedgerSource,
  type SourceCheckpoint,
  type SourceHeader,
  sourceNote,
} from './source.ts'

/** Record order is part of the format: H, C*, B*, E*, Z. */
const ORDER = [RECORD.header, RECORD.checkpoint, RECORD.blob, RECORD.entry, RECORD.trailer]

/**
 * An export bundle (docs/ledger.md §6), read once from start to end: the header, the checkpoints,
 * the blobs (their hashes, with or without bytes), the entries and the trailer, whose counts must
 * match what came before.
 */
export class BundleSource implements LedgerSource {
  readonly kind = 'bundle'
  readonly storedLeaves = false
  readonly #path: string
  #records: AsyncGenerator<BundleRecord[]> | undefined
  #batch: BundleRecord[] = []
  #at = 0
  /** The record read but not yet taken; null once the file has ended. */
  #next: BundleRecord | null | undefined
  #stage = -1
  #trailerSeen = false
  #declaredSize = 0
  #checkpoints = 0
  #entries = 0
  readonly #blobs = new Map<string, BlobStatus>()
  /** Blobs an entry referred to: a blob with bytes that no entry refers to is checked at the end. */
  readonly #referenced = new Set<string>()

  constructor(path: string) {
    this.#path = path
  }

  async open(warm: (sourceBytes: number) => void): Promise<SourceHeader> {
    warm((await stat(this.#path)).size)
    this.#records = readBundleRecords(this.#path)
    const record = await this.#take()
    if (record === undefined) throw this.#truncated()
    // the order check has made sure the first record is the header
    const header = decodeBundleHeader(record.payload)
    this.#declaredSize = header.size
    return {
      origin: header.origin,
      publicKey: header.publicKey,
      total: header.size,
      ...(header.keyRotations !== undefined && { keyRotations: header.keyRotations }),
    }
  }

  async *checkpoints(): AsyncGenerator<SourceCheckpoint> {
    let previousSize = 0
    while ((await this.#peek())?.type === RECORD.checkpoint) {
      const record = (await this.#take())!
      this.#checkpoints++
      const where = `checkpoint ${this.#checkpoints} of the bundle`
      const note = sourceNote(record.payload, where)
      // oldest first (§6): one the audit cannot parse fails there, as soon as it is yielded
      const size = sizeOf(note)
      if (size !== undefined && size < previousSize)
        throw new Failure(
          `${where} (size ${size}) comes after one of size ${previousSize}: a bundle lists its checkpoints oldest first`,
        )
      previousSize = size ?? previousSize
      yield { note, where }
    }
  }

  blobStatus = async (hash: Uint8Array): Promise<BlobStatus> => {
    const hex = toHex(hash)
    this.#referenced.add(hex)
    return this.#blobs.get(hex) ?? 'missing'
  }

  async entries(sink: EntrySink): Promise<void> {
    // blob records all precede the entries, so the lookup table is complete before the first
    while ((await this.#peek())?.type === RECORD.blob) this.#addBlob((await this.#take())!)
    while ((await this.#peek())?.type === RECORD.entry) {
      const record = (await this.#take())!
      const pending = sink.entry(this.#entries, record.payload)
      if (pending !== undefined) await pending
      this.#entries++
    }
    const trailer = await this.#take()
    if (trailer === undefined) throw this.#truncated()
    await sink.end()
    const counts = decodeBundleTrailer(trailer.payload)
    const seq = this.#entries
    // an entry count that differs names the first entry one of the two counts lacks
    if (counts.entries !== seq)
      throw new Failure(
        `the bundle trailer counts ${counts.entries} entries but the bundle holds ${seq}`,
        Math.min(counts.entries, seq),
      )
    if (counts.checkpoints !== this.#checkpoints || counts.blobs !== this.#blobs.size)
      throw new Failure('the bundle trailer counts do not match its checkpoint and blob records')
    this.#trailerSeen = true
    // reading on finds any record after the trailer
    await this.#peek()
    if (seq !== this.#declaredSize)
      throw new Failure(
        `the bundle header declares ${this.#declaredSize} entries but holds ${seq}`,
        Math.min(this.#declaredSize, seq),
      )
    // every blob's bytes must match its hash (§6), whether an entry refers to it or not
    for (const [hex, status] of this.#blobs)
      if (status === 'altered' && !this.#referenced.has(hex))
        throw new Failure(`the bytes of blob ${hex} do not match its hash (no entry refers to it)`)
  }

  async close(): Promise<void> {
    await this.#records?.return(undefined)
  }

  #addBlob(record: BundleRecord): void {
    const blob = decodeBundleBlob(record.payload)
    const status: BlobStatus =
      blob.bytes === undefined ? 'present' : bytesEqual(blobHash(blob.bytes), blob.hash) ? 'ok' : 'altered'
    const hex = toHex(blob.hash)
    // a second record of a blob would replace the first's status: bytes that do not match
    // their hash, followed by the same hash alone, would pass as present
    if (this.#blobs.has(hex)) throw new Failure(`the bundle lists blob ${hex} more than once`)
    this.#blobs.set(hex, status)
  }

  /*
   * A bundle cut short names the first entry it does not hold whole (§6): the count of whole entry
   * records before the cut, 0 when the cut falls before the entries, the size after the last.
   */
  #truncated(): Failure {
    return new Failure(`the bundle is truncated: no trailer after ${this.#entries} entries`, this.#entries)
  }

  #cut(): Failure {
    return new Failure(
      `the bundle is truncated: it ends inside a record, after ${this.#entries} whole entries`,
      this.#entries,
    )
  }

  /** The next record, checked for its place in the order, without taking it; undefined at the end. */
  async #peek(): Promise<BundleRecord | undefined> {
    if (this.#next === undefined) this.#next = await this.#read()
    return this.#next ?? undefined
  }

  async #take(): Promise<BundleRecord | undefined> {
    const record = await this.#peek()
    if (record !== undefined) this.#next = undefined
    return record
  }

  async #read(): Promise<BundleRecord | null> {
    while (this.#at >= this.#batch.length) {
      const batch = await this.#records!.next().catch((err: unknown) => {
        throw err instanceof BundleTruncatedError ? this.#cut() : err
      })
      if (batch.done === true) return null
      this.#batch = batch.value
      this.#at = 0
    }
    const record = this.#batch[this.#at++]!
    if (this.#trailerSeen) throw new Failure('the bundle has records after its trailer')
    const at = ORDER.indexOf(record.type as (typeof ORDER)[number])
    if (at < 0) throw new Failure(`the bundle holds a record of unknown type 0x${record.type.toString(16)}`)
    if (at < this.#stage || (at === 0 && this.#stage === 0))
      throw new Failure('the bundle records are out of order')
    if (this.#stage === -1 && at !== 0) throw new Failure('the bundle does not start with its header')
    this.#stage = at
    return record
  }
}

/** The tree size a checkpoint note signs, or undefined when it does not parse. */
function sizeOf(note: string): number | undefined {
  try {
    return parseCheckpoint(note).checkpoint.size
  } catch {
    return undefined
  }
}
