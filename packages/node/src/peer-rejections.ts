import type { PeerId } from '@libp2p/interface'
import type { Rejection } from '@pocnet/directory'
import { type Logger, LogThrottle } from './log.ts'

/**
 * The name a directory or roster rejection is counted under in `pocnet status`:
 * `dht-record-<reason>` (a `/pocnet-dir/` record kad-dht's validator refused), `dir-fetch-<reason>`
 * or `roster-<reason>`.
 */
export function rejectionKey(rejection: Rejection): string {
  const prefix = rejection.protocol === 'dht' ? 'dht-record' : rejection.protocol
  return `${prefix}-${rejection.reason}`
}

export interface PeerRejectionsInit {
  log: Logger
  /** The member country of a peer, when it is one. */
  countryOf: (peer: PeerId) => string | undefined
  now?: () => number
}

/**
 * Counts what packages/directory refuses (DHT records, dir-fetch and roster exchanges) by reason,
 * for the node's status, and logs it: `directory.rejected` or `roster.rejected`, at most one line
 * per reason every 10 s (LogThrottle), with the count since start. Lines carry the reason,
 * the peer and countries, never the refused bytes or any of their fields. A roster pull not made
 * (`roster-pull-suppressed`) is ordinary between honest nodes too: counted, and logged at debug.
 */
export class PeerRejections {
  readonly counts: Record<string, number> = {}
  readonly #throttle: LogThrottle
  readonly #init: PeerRejectionsInit

  constructor(init: PeerRejectionsInit) {
    this.#init = init
    this.#throttle = new LogThrottle(init.now === undefined ? {} : { now: init.now })
  }

  readonly record = (rejection: Rejection): void => {
    const key = rejectionKey(rejection)
    const count = (this.counts[key] ?? 0) + 1
    this.counts[key] = count
    if (this.#throttle.hit(key) === undefined) return
    const level = rejection.reason === 'pull-suppressed' ? 'debug' : 'warn'
    this.#init.log[level](rejection.protocol === 'roster' ? 'roster.rejected' : 'directory.rejected', {
      reason: key,
      protocol: rejection.protocol,
      peer: rejection.peer?.toString(),
      member: rejection.peer === undefined ? undefined : (this.#init.countryOf(rejection.peer) ?? null),
      recordCountry: rejection.country,
      rejectedSinceStart: count,
    })
  }
}
