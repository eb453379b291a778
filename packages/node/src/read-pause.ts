import type { MultiaddrConnection } from '@libp2p/interface'
import { type Logger, LogThrottle } from './log.ts'

export interface MemberReadPauseInit {
  /** Bytes `peer` holds now in frames being read (FrameBudget.heldBy). */
  heldBy: (peer: string) => number
  /** A member holding more than this in frames being read is paused. */
  pauseAtBytes: number
  /** A paused member is read again once it holds this many bytes or fewer. */
  resumeAtBytes: number
  /** A member's first pause, and its next one after a frame of its was read whole, lasts this long at most. */
  minPauseMs: number
  /** Each further pause without a frame read whole in between lasts twice as long, up to this. */
  maxPauseMs: number
  log: Logger
  countryOf: (peer: string) => string | undefined
}

/**
 * Backpressure on a member holding too much in frames being read: the node stops reading that
 * member's connections (their TCP sockets), so what it sends next waits in the kernel's socket
 * buffers and then in the member's own, instead of being read, decrypted and dropped here. Without
 * it a member's flood of refused streams cost the memory of what was read: each new yamux stream
 * may send its 256 KiB window unasked.
 *
 * A member is paused when it holds more than `pauseAtBytes`, or is refused a frame over its own
 * share, and read again once frames of its read whole leave it holding at most `resumeAtBytes`, or
 * when the pause is over. A pause is short (`minPauseMs`) for a member
 * whose frames complete, so an honest burst is only slowed, and doubles up to `maxPauseMs` while
 * none of its frames is read whole in between: a member that only starts frames is not read
 * again before they end. While paused, everything the member sends on those connections waits.
 * Each pause is counted and logged as `frames.read-paused`, at most once per member every 10 s.
 */
export class MemberReadPause {
  readonly #init: MemberReadPauseInit
  /** Each member's open connections, as their transport-level (TCP) connections. */
  readonly #connections = new Map<string, Set<MultiaddrConnection>>()
  /** Members paused now, with the timer that ends each pause. */
  readonly #paused = new Map<string, ReturnType<typeof setTimeout>>()
  /** How long a member's next pause lasts, when longer than `minPauseMs`: none of its frames was read whole since its last. */
  readonly #nextPauseMs = new Map<string, number>()
  readonly #throttle = new LogThrottle()
  #pauses = 0

  constructor(init: MemberReadPauseInit) {
    this.#init = init
  }

  /** Times a member was paused since start. */
  get pauses(): number {
    return this.#pauses
  }

  /** Members paused now. */
  get pausedMembers(): number {
    return this.#paused.size
  }

  /** Whether `peer` is paused now. */
  isPaused(peer: string): boolean {
    return this.#paused.has(peer)
  }

  /** Remembers `maConn` as one of `peer`'s connections until it closes; paused at once if `peer` is. */
  track(peer: string, maConn: MultiaddrConnection): void {
    if (maConn.status !== 'open') return
    let connections = this.#connections.get(peer)
    if (connections === undefined) {
      connections = new Set()
      this.#connections.set(peer, connections)
    }
    connections.add(maConn)
    maConn.addEventListener(
      'close',
      () => {
        connections.delete(maConn)
        if (connections.size === 0 && this.#connections.get(peer) === connections)
          this.#connections.delete(peer)
      },
      { once: true },
    )
    if (this.#paused.has(peer)) pauseReading(maConn)
  }

  /** `peer` took frame bytes and holds `heldNow`: paused when that is past `pauseAtBytes`. */
  taken(peer: string, heldNow: number): void {
    if (heldNow > this.#init.pauseAtBytes) this.#pause(peer)
  }

  /** `peer` was refused a frame over its own share. */
  overShare(peer: string): void {
    this.#pause(peer)
  }

  /**
   * `peer` gave frame bytes back and holds `heldNow`; `read`: a whole frame of its was read, so its
   * next pause is short again. Read again if it was paused and now holds little enough thanks to
   * that frame; bytes given back because frames were dropped (refused, past their deadline, their
   * stream ended) do not end a pause early: each early end let a member whose frames never complete
   * start its streams over, each with yamux's 256 KiB window, and be read in one burst.
   */
  released(peer: string, heldNow: number, read: boolean): void {
    if (!read) return
    this.#nextPauseMs.delete(peer)
    if (heldNow <= this.#init.resumeAtBytes && this.#paused.has(peer)) this.#resume(peer)
  }

  #pause(peer: string): void {
    if (this.#paused.has(peer)) return
    const { minPauseMs, maxPauseMs } = this.#init
    const pauseMs = this.#nextPauseMs.get(peer) ?? minPauseMs
    this.#nextPauseMs.set(peer, Math.min(2 * pauseMs, maxPauseMs))
    const timer = setTimeout(() => this.#resume(peer), pauseMs)
    timer.unref?.()
    this.#paused.set(peer, timer)
    this.#pauses++
    const connections = this.#connections.get(peer) ?? new Set()
    for (const maConn of connections) pauseReading(maConn)
    const count = this.#throttle.hit(peer)
    if (count !== undefined)
      this.#init.log.warn('frames.read-paused', {
        peer,
        member: this.#init.countryOf(peer) ?? null,
        connections: connections.size,
        heldBytes: this.#init.heldBy(peer),
        pauseMs,
        pausedSinceStart: count,
      })
  }

  #resume(peer: string): void {
    const timer = this.#paused.get(peer)
    if (timer === undefined) return
    clearTimeout(timer)
    this.#paused.delete(peer)
    for (const maConn of this.#connections.get(peer) ?? []) resumeReading(maConn)
  }
}

// pause() and resume() throw once the connection's reading end is closing: it reads nothing more then
function pauseReading(maConn: MultiaddrConnection): void {
  if (maConn.status !== 'open') return
  try {
    maConn.pause()
  } catch {}
}

function resumeReading(maConn: MultiaddrConnection): void {
  if (maConn.status !== 'open') return
  try {
    maConn.resume()
  } catch {}
}
