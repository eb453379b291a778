import type { PeerId } from '@libp2p/interface'
import { fromHex, type NodeIdentity, peerIdFromEd25519PublicKey, toHex } from '@pocnet/crypto'
import type { RetiredKey, RosterState } from '@pocnet/directory'
import type { Host } from './host.ts'
import type { Logger } from './log.ts'

/*
 * What a roster that retires keys changes on the network (docs/operations.md, Key rotation). A
 * rotated or revoked key is a PeerId no member accepts any more: peers forget it and never dial
 * it again, and the node whose own key it is leaves the network (it dials nobody, says so in its
 * status and log) instead of retrying connections every member refuses.
 */

export class KeyRetirement {
  readonly #identity: NodeIdentity
  readonly #getRoster: () => RosterState
  readonly #log: Logger
  #own: RetiredKey | undefined
  #dialsRefused = 0
  /** PeerIds (strings) of every key the roster retired, for the dial lists. */
  #retiredPeers = new Set<string>()

  constructor(init: { identity: NodeIdentity; getRoster: () => RosterState; log: Logger }) {
    this.#identity = init.identity
    this.#getRoster = init.getRoster
    this.#log = init.log
    this.#retiredPeers = this.#peersOf(init.getRoster())
  }

  /** How and when the roster took this node's key back, if it did. */
  get own(): RetiredKey | undefined {
    return this.#own
  }

  /** Dials this node's libp2p asked for after its key was retired (each one refused here). */
  get dialsRefused(): number {
    return this.#dialsRefused
  }

  /** Whether `peer` is a key the roster retired: never dialled. */
  isRetiredPeer(peer: string): boolean {
    return this.#retiredPeers.has(peer)
  }

  /** For the gater: true (refuse) once this node's key is retired, counting the dial. */
  refuseDial(): boolean {
    if (this.#own === undefined) return false
    this.#dialsRefused++
    return true
  }

  /**
   * After a roster adoption: forgets the PeerIds of retired keys (peer store, connections) and,
   * when this node's own key is among them, takes the node off the network once.
   */
  async onRoster(host: Host): Promise<void> {
    const roster = this.#getRoster()
    const fresh = [...this.#peersOf(roster)].filter((p) => !this.#retiredPeers.has(p))
    this.#retiredPeers = this.#peersOf(roster)
    for (const peer of host.getPeers())
      if (this.#retiredPeers.has(peer.toString())) await this.#forget(host, peer)
    for (const id of fresh) {
      const known = (await host.peerStore.all()).find((p) => p.id.toString() === id)
      if (known !== undefined) await this.#forget(host, known.id)
    }
    const own = roster.retired.get(toHex(this.#identity.signingPublicKey))
    if (own === undefined || this.#own !== undefined) return
    this.#own = own
    this.#log.warn('node.key-retired', {
      how: own.how,
      atVersion: own.atVersion,
      hint:
        own.how === 'rotated'
          ? 'the roster rotated this key out: stop this node and start the one holding the new key (docs/operations.md, Key rotation)'
          : 'the roster revoked this country: this node may no longer take part; stop it',
    })
    for (const peer of host.getPeers()) await host.hangUp(peer).catch(() => {})
  }

  async #forget(host: Host, peer: PeerId): Promise<void> {
    await host.hangUp(peer).catch(() => {})
    await host.peerStore.delete(peer).catch(() => {})
    this.#log.info('peer.retired-key-forgotten', { peer: peer.toString() })
  }

  #peersOf(roster: RosterState): Set<string> {
    const peers = new Set<string>()
    for (const hex of roster.retired.keys()) {
      peers.add(peerIdFromEd25519PublicKey(fromHex(hex)).toString())
    }
    return peers
  }
}
