import type { AbortOptions, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { FrameCutShortError, FrameTooLargeError, LengthPrefixTooLongError } from '../errors.ts'
import { maxPrefixBytesFor } from '../length-prefix.ts'
import type { FrameBudget } from './frame-budget.ts'

/** Whom a reader's bytes are charged to: the node's budget, under the peer and protocol they came from. */
export interface FrameCharge {
  budget: FrameBudget
  peer: string
  protocol: string
}

/** How many bytes a stream buffers unread at least (lpStream's default, which this replaces). */
const MIN_BUFFERED_BYTES = 4 * 1024 * 1024
/** A frame's first buffer: small frames take what they need, large ones double from here. */
const FIRST_BUFFER_BYTES = 16 * 1024
const EMPTY = new Uint8Array(0)

/**
 * Reads length-prefixed frames (an unsigned varint length, then that many bytes) from a stream as
 * its bytes arrive. A frame's buffer grows as its bytes come, doubling up to the announced length,
 * never reserving that length up front, and each arriving chunk is copied, so no buffer of the
 * transport below is kept alive by a frame. The refusals, each at once and ending the stream:
 * a prefix longer than `maxFrameBytes` could need, a length over it, more bytes buffered unread
 * than a whole frame, and, with a charge, a growth the budget refuses. Every byte charged is given
 * back when its frame is read, refused, or the stream ends.
 */
export class FrameReader {
  readonly #stream: Stream
  readonly #maxFrameBytes: number
  readonly #maxPrefixBytes: number
  readonly #maxBufferedBytes: number
  readonly #charge: FrameCharge | undefined
  /** The length prefix being read. */
  #prefixValue = 0
  #prefixBytes = 0
  /** The announced length of the frame being read; -1 while its prefix is. */
  #length = -1
  #body: Uint8Array = EMPTY
  #filled = 0
  /** Whole frames not read yet, oldest first. */
  readonly #ready: Uint8Array[] = []
  /** Bytes of `#ready` and `#body` taken from the budget (all of them, until the stream ends). */
  #charged = 0
  #failure: Error | undefined
  /** The peer closed its side: no more bytes come. */
  #ended = false
  #wake: (() => void) | undefined

  constructor(stream: Stream, maxFrameBytes: number, charge?: FrameCharge) {
    this.#stream = stream
    this.#maxFrameBytes = maxFrameBytes
    this.#maxPrefixBytes = maxPrefixBytesFor(maxFrameBytes)
    this.#maxBufferedBytes = Math.max(MIN_BUFFERED_BYTES, maxFrameBytes + this.#maxPrefixBytes)
    this.#charge = charge
    stream.addEventListener('message', this.#onMessage)
    stream.addEventListener('remoteCloseWrite', this.#onRemoteCloseWrite)
    stream.addEventListener('close', this.#onClose)
  }

  /** Why reading failed, once it has (the stream is aborted then). */
  get failure(): Error | undefined {
    return this.#failure
  }

  /** The next whole frame; rejects with the reader's failure, a cut-short stream, or the signal's reason. */
  async read(options: AbortOptions = {}): Promise<Uint8Array> {
    const { signal } = options
    while (true) {
      const frame = this.#ready.shift()
      if (frame !== undefined) {
        this.#giveBack(frame.length, true)
        return frame
      }
      if (this.#failure !== undefined) throw this.#failure
      if (this.#ended) throw new FrameCutShortError(this.#filled, this.#length < 0 ? undefined : this.#length)
      signal?.throwIfAborted()
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#wake = undefined
          reject(signal!.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.#wake = () => {
          signal?.removeEventListener('abort', onAbort)
          this.#wake = undefined
          resolve()
        }
      })
    }
  }

  readonly #onMessage = (event: StreamMessageEvent): void => {
    if (this.#failure !== undefined) return
    const chunks = event.data instanceof Uint8Array ? [event.data] : event.data
    try {
      for (const chunk of chunks) this.#take(chunk)
    } catch (err) {
      this.#fail(err as Error)
    }
    this.#wake?.()
  }

  readonly #onRemoteCloseWrite = (): void => {
    this.#ended = true
    this.#dropPartial()
    this.#wake?.()
  }

  readonly #onClose = (event: StreamCloseEvent): void => {
    this.#ended = true
    if (event.error !== undefined && this.#failure === undefined) this.#failure = event.error
    this.#dropPartial()
    // whole frames stay readable, but no longer count against the budget: nothing more can come
    this.#giveBack(this.#charged)
    this.#detach()
    this.#wake?.()
  }

  /** Reads `chunk` into prefixes and frames; throws a refusal. */
  #take(chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.length) {
      if (this.#length < 0) {
        if (this.#prefixBytes >= this.#maxPrefixBytes)
          throw new LengthPrefixTooLongError(this.#maxPrefixBytes)
        const byte = chunk[at++]!
        this.#prefixValue += (byte & 0x7f) * 2 ** (7 * this.#prefixBytes++)
        if ((byte & 0x80) !== 0) continue
        if (this.#prefixValue > this.#maxFrameBytes)
          throw new FrameTooLargeError('the announced frame', this.#prefixValue, this.#maxFrameBytes)
        this.#length = this.#prefixValue
        this.#prefixValue = 0
        this.#prefixBytes = 0
        if (this.#length === 0) this.#complete()
        continue
      }
      const n = Math.min(chunk.length - at, this.#length - this.#filled)
      this.#grow(this.#filled + n)
      this.#body.set(chunk.subarray(at, at + n), this.#filled)
      this.#filled += n
      at += n
      if (this.#filled === this.#length) this.#complete()
    }
  }

  /** Makes the frame's buffer hold at least `needed` bytes: doubled, at most the announced length. */
  #grow(needed: number): void {
    if (needed <= this.#body.length) return
    const size = Math.min(this.#length, Math.max(needed, this.#body.length * 2, FIRST_BUFFER_BYTES))
    const buffered = this.#ready.reduce((n, f) => n + f.length, 0) + size
    if (buffered > this.#maxBufferedBytes)
      throw new FrameTooLargeError('the bytes a stream buffers unread', buffered, this.#maxBufferedBytes)
    const more = size - this.#body.length
    if (this.#charge !== undefined) {
      const { budget, peer, protocol } = this.#charge
      budget.take(peer, more, protocol)
      this.#charged += more
    }
    const body = new Uint8Array(size)
    body.set(this.#body.subarray(0, this.#filled))
    this.#body = body
  }

  #complete(): void {
    // the buffer grew to the announced length at most, so a whole frame fills it exactly
    this.#ready.push(this.#length === 0 ? EMPTY : this.#body)
    this.#body = EMPTY
    this.#filled = 0
    this.#length = -1
  }

  /** Refuses: every byte given back, nothing kept, the stream aborted so its sender stops. */
  #fail(error: Error): void {
    this.#failure = error
    this.#dropPartial()
    this.#ready.length = 0
    this.#giveBack(this.#charged)
    this.#detach()
    this.#stream.abort(error)
  }

  /** Drops the frame being read (it can no longer complete, or was refused). */
  #dropPartial(): void {
    this.#giveBack(this.#body.length)
    this.#body = EMPTY
  }

  /** Gives `bytes` back to the budget; `read`: they are a whole frame's, read by the caller. */
  #giveBack(bytes: number, read = false): void {
    const given = Math.min(bytes, this.#charged)
    if (given <= 0 || this.#charge === undefined) return
    this.#charged -= given
    this.#charge.budget.give(this.#charge.peer, given, read)
  }

  #detach(): void {
    this.#stream.removeEventListener('message', this.#onMessage)
    this.#stream.removeEventListener('remoteCloseWrite', this.#onRemoteCloseWrite)
    this.#stream.removeEventListener('close', this.#onClose)
  }
}
