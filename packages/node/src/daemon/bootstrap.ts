import type { PeerId } from '@libp2p/interface'
import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { peerIdFromEd25519PublicKey } from '@pocnet/crypto'
import { type DirectoryMemory, type RosterState, verifyRecord } from '@pocnet/directory'
import type { Host } from '../host.ts'
import type { Logger } from '../log.ts'
import type { KeyRetirement } from '../retirement.ts'

const BOOTSTRAP_INTERVAL_MS = 10_000
const BOOTSTRAP_DIAL_TIMEOUT_MS = 5_000

export interface BootstrapInit {
  host: Host
  /** This node's country and PeerId: never dialled. */
  country: string
  peerId: PeerId
  /** The configured bootstrap multiaddrs. */
  bootstrap: readonly string[]
  getRoster: () => RosterState
  memory: DirectoryMemory
  retirement: KeyRetirement
  /** Aborted at stop: dials under way end. */
  shutdown: AbortSignal
  log: Logger
}

/**
 * Dials the configured bootstrap peers, and every roster member whose last good directory
 * record this node holds, unless already connected, every BOOTSTRAP_INTERVAL_MS: after an
 * outage the federation reassembles from what each node remembers, without a central server.
 */
export class BootstrapDialer {
  readonly #init: BootstrapInit
  readonly #task: RepeatingTask

  constructor(init: BootstrapInit) {
    this.#init = init
    this.#task = repeatingTask(
      () => {
        // a throw here would end the process: nothing a peer or a record holds may do that
        try {
          this.#dial()
        } catch (err) {
          init.log.error('bootstrap.failed', { error: String((err as Error).message ?? err) })
        }
      },
      BOOTSTRAP_INTERVAL_MS,
      { runImmediately: true },
    )
  }

  start(): void {
    this.#task.start()
  }

  stop(): void {
    this.#task.stop()
  }

  #dial(): void {
    const { host, memory, log } = this.#init
    const connected = new Set(host.getPeers().map(String))
    const roster = this.#init.getRoster()
    for (const country of memory.cachedCountries()) {
      const member = roster.members.get(country)
      const cached = memory.cached(country)
      if (member === undefined || cached === undefined || country === this.#init.country) continue
      const peer = peerIdFromEd25519PublicKey(member.publicKey)
      if (connected.has(peer.toString())) continue
      let addresses: string[]
      try {
        addresses = verifyRecord(cached.bytes, country, roster, Date.now()).record.addresses
      } catch {
        continue // expired or no longer valid under the current roster
      }
      const addrs = addresses.flatMap(
        (a) => parseMultiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`) ?? [],
      )
      if (addrs.length === 0) continue
      connected.add(peer.toString())
      host.dial(addrs, { signal: this.#dialSignal() }).catch((err: unknown) => {
        log.debug('member.dial-failed', { country, error: String((err as Error).message ?? err) })
      })
    }
    for (const addr of this.#init.bootstrap) {
      // validateConfig parsed each one; parsing again costs nothing and keeps this loop total
      const ma = parseMultiaddr(addr)
      if (ma === undefined) continue
      const peer = ma.getComponents().find((c) => c.name === 'p2p')?.value
      if (peer !== undefined && (connected.has(peer) || peer === this.#init.peerId.toString())) continue
      // a bootstrap entry naming a key the roster retired: that PeerId is no member any more
      if (peer !== undefined && this.#init.retirement.isRetiredPeer(peer)) continue
      host.dial(ma, { signal: this.#dialSignal() }).catch((err: unknown) => {
        log.debug('bootstrap.dial-failed', { addr, error: String((err as Error).message ?? err) })
      })
    }
  }

  #dialSignal(): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(BOOTSTRAP_DIAL_TIMEOUT_MS), this.#init.shutdown])
  }
}

/** `text` as a multiaddr, or undefined when libp2p cannot parse it. */
function parseMultiaddr(text: string): Multiaddr | undefined {
  try {
    return multiaddr(text)
  } catch {
    return undefined
  }
}
