import type { MultiaddrConnection } from '@libp2p/interface'
import { type Logger, LogThrottle } from './log.ts'

export interface MemberReadPauseInit {
  /** Bytes `peer` holds now in frames being read (FrameBudget.heldBy). */
  heldBy: (peer: string) => number
  /** A paused member is read again once it holds this many bytes or fewer. */
  resumeAtBytes: number
  /** A paused member is read again after this long at the latest, whatever it holds: a backstop. */
  maxPauseMs: number
  log: Logger
  countryOf: (peer: string) => string | undefined
}

/**
 * Backpressure on a member past its frame share: the node stops reading that member's connections
 * (their TCP sockets), so what it sends next waits in the kernel's socket buffers and then in the
 * member's own, instead of being read, decrypted and dropped here. Reading without it is what a
 * member's flood of refused streams costs in memory: each new yamux stream may send its 256 KiB
 * window unasked. Reading resumes once the member holds at most `resumeAtBytes` (its frames end
 * at their deadline, or their streams close), or after `maxPauseMs`. While paused the member's
 * other traffic on those connections waits too: an honest member stays well inside its share.
 * Each pause is counted and logged as `frames.read-paused`, at most once per member every 10 s.
 */
export class MemberReadPause {
  readonly #init: MemberReadPauseInit
  /** Each member's open connections, as their transport-level (TCP) connections. */
  readonly #connections = new Map<string, Set<MultiaddrConnection>>()
  /** Members paused now, with the backstop timer of each. */
  readonly #paused = new Map<string, ReturnType<typeof setTimeout>>()
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

  /** `peer` was refused a frame over its own share: its connections are no longer read. */
  overShare(peer: string): void {
    if (this.#paused.has(peer)) return
    const backstop = setTimeout(() => this.#resume(peer), this.#init.maxPauseMs)
    backstop.unref?.()
    this.#paused.set(peer, backstop)
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
        resumeAtBytes: this.#init.resumeAtBytes,
        pausedSinceStart: count,
      })
  }

  /** `peer` gave frame bytes back and holds `heldNow`: read again if it was paused and is low enough. */
  released(peer: string, heldNow: number): void {
    if (heldNow <= this.#init.resumeAtBytes && this.#paused.has(peer)) this.#resume(peer)
  }

  #resume(peer: string): void {
    const backstop = this.#paused.get(peer)
    if (backstop === undefined) return
    clearTimeout(backstop)
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
