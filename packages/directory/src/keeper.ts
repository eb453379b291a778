import { bytesEqual, toHex } from '@pocnet/crypto'
import { RosterForkError } from './errors.ts'
import { type RosterState, type VerifiedRosterChain, verifyRosterChain } from './roster/index.ts'

/** What `onRosterAdopted` listeners hear: the node must append it to its ledger. */
export interface RosterAdoption {
  previousVersion: number
  version: number
  /** SHA-256 of the adopted version's body bytes. */
  hash: Uint8Array
  state: RosterState
  /** The whole adopted chain (document bytes), for the node to persist. */
  documents: Uint8Array[]
}

export type OfferOutcome = 'adopted' | 'current' | 'older'

export interface RosterKeeperInit {
  /** The chain this node holds (at least the genesis it trusts). */
  chain: Uint8Array[]
  /** The genesis this node trusts; defaults to the first document of `chain`. */
  genesisHash?: Uint8Array
}

/**
 * Holds this node's verified roster chain and adopts a newer one when offered. Two valid chains
 * that differ at some version are a fork: the offer is refused, `onRosterFork` listeners hear of
 * it, and from then on every offer is refused with the same error — neither branch advances —
 * until an operator calls `resolveFork` with the chain to follow.
 */
export class RosterKeeper {
  readonly genesisHash: Uint8Array
  #chain: VerifiedRosterChain
  #fork: RosterForkError | undefined
  readonly #adoptedListeners = new Set<(adoption: RosterAdoption) => void>()
  readonly #forkListeners = new Set<(fork: RosterForkError) => void>()

  constructor(init: RosterKeeperInit) {
    this.#chain = verifyRosterChain(init.chain, { genesisHash: init.genesisHash })
    this.genesisHash = this.#chain.state.genesisHash
  }

  get state(): RosterState {
    return this.#chain.state
  }

  get documents(): Uint8Array[] {
    return this.#chain.documents.map((d) => d.bytes)
  }

  /** The fork that froze adoption, if any. */
  get fork(): RosterForkError | undefined {
    return this.#fork
  }

  /** Subscribes to adoptions; returns the unsubscribe function. */
  onRosterAdopted(listener: (adoption: RosterAdoption) => void): () => void {
    this.#adoptedListeners.add(listener)
    return () => this.#adoptedListeners.delete(listener)
  }

  onRosterFork(listener: (fork: RosterForkError) => void): () => void {
    this.#forkListeners.add(listener)
    return () => this.#forkListeners.delete(listener)
  }

  /**
   * Verifies `chain` from our genesis and adopts it when it extends ours. Throws the
   * verification error for an invalid chain and RosterForkError for a valid one that diverges.
   */
  offer(chain: Uint8Array[]): OfferOutcome {
    if (this.#fork !== undefined) throw this.#fork
    // Our own chain, or a prefix of it, byte for byte, is valid already: verifying a long chain
    // again costs a member nothing to ask for and this node hundreds of milliseconds.
    const ours = this.#chain.documents
    if (chain.length <= ours.length && chain.every((doc, v) => bytesEqual(doc, ours[v]!.bytes)))
      return chain.length < ours.length ? 'older' : 'current'
    const theirs = verifyRosterChain(chain, { genesisHash: this.genesisHash })
    const common = Math.min(ours.length, theirs.documents.length)
    for (let v = 1; v < common; v++) {
      const a = ours[v]!.hash
      const b = theirs.documents[v]!.hash
      if (!bytesEqual(a, b)) {
        this.#fork = new RosterForkError(v, toHex(a), toHex(b))
        for (const listener of this.#forkListeners) listener(this.#fork)
        throw this.#fork
      }
    }
    if (theirs.documents.length < ours.length) return 'older'
    if (theirs.documents.length === ours.length) return 'current'
    this.#adopt(theirs)
    return 'adopted'
  }

  /** Operator decision after a fork: follow `chain` (valid from our genesis), even if it replaces versions we held. */
  resolveFork(chain: Uint8Array[]): void {
    const chosen = verifyRosterChain(chain, { genesisHash: this.genesisHash })
    this.#fork = undefined
    this.#adopt(chosen)
  }

  #adopt(chain: VerifiedRosterChain): void {
    const previousVersion = this.#chain.state.version
    this.#chain = chain
    const adoption: RosterAdoption = {
      previousVersion,
      version: chain.state.version,
      hash: chain.state.hash,
      state: chain.state,
      documents: this.documents,
    }
    for (const listener of this.#adoptedListeners) listener(adoption)
  }
}
