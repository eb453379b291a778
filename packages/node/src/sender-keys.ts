import type { PeerId } from '@libp2p/interface'
import type { RosterState } from '@pocnet/directory'
import type { SenderInfo } from '@pocnet/protocol'
import { MAX_SENDERS_NOT_FOUND } from './constants.ts'

const BOX_KEY_CACHE_MS = 60_000

/** What a sender's directory record says about sealing to and from it. */
export interface SenderKeys {
  boxPublicKey: Uint8Array
  /** Present when the sender's record advertises hybrid sealing. */
  kemPublicKey?: Uint8Array
}

/** A member's box key could not be found (no directory record reachable yet). */
export class SenderKeyUnavailable extends Error {}
/** A lookup of this member's record failed a moment ago: answered from memory, without another lookup. */
export class SenderRecentlyNotFound extends Error {
  readonly country: string
  readonly miss: SenderMiss
  constructor(country: string, miss: SenderMiss) {
    super(`no directory record of ${country} a moment ago`)
    this.country = country
    this.miss = miss
  }
}

/** A failed lookup of a member's record, remembered for a short time (the negative cache). */
export interface SenderMiss {
  /** When the entry ends (ms since epoch). */
  until: number
  /** The roster version and the member's record stamp when the lookup failed: a change ends the entry. */
  rosterVersion: number
  stamp: string | undefined
  /** Envelopes answered from this entry, and when a line about them was last logged. */
  deferred: number
  loggedAt: number
}

/** Where a sender's keys come from: the roster names the member, its directory record holds the keys. */
export interface SenderKeySource {
  getRoster: () => RosterState
  keysOf: (country: string) => Promise<SenderKeys | undefined>
  recordStampOf?: (country: string) => string
}

/**
 * The keys open() checks a sender's envelope with, from the member's directory record: kept for
 * BOX_KEY_CACHE_MS, so a burst does not verify the record per message; looked up once at a time
 * per member; and a failed lookup remembered for a while (the negative cache).
 */
export class SenderKeyResolver {
  readonly #source: SenderKeySource
  readonly #now: () => number
  /** Senders' keys from their directory records, so a burst does not verify the record per message. */
  readonly #cached = new Map<string, { keys: SenderKeys; at: number }>()
  /**
   * Members whose record a lookup failed to find a moment ago, by country: their envelopes are
   * answered `try-later` without another lookup until the entry ends (at most MAX_SENDERS_NOT_FOUND).
   */
  readonly #notFound = new Map<string, SenderMiss>()
  /** Lookups under way, by country: envelopes arriving meanwhile wait for the same answer. */
  readonly #lookups = new Map<string, Promise<SenderKeys | undefined>>()
  readonly #notFoundTtlMs: number
  #lookupCount = 0

  constructor(source: SenderKeySource, options: { now: () => number; notFoundTtlMs: number }) {
    this.#source = source
    this.#now = options.now
    this.#notFoundTtlMs = options.notFoundTtlMs
  }

  /** Lookups of senders' keys (directory cache, else DHT and peers) started since start. */
  get lookups(): number {
    return this.#lookupCount
  }

  /** Forgets the cached keys of the peer's country; true if there were some. */
  dropCachedKeys(peer: PeerId): boolean {
    const country = this.#source.getRoster().memberByPeerId(peer)?.country
    return country !== undefined && this.#cached.delete(country)
  }

  /**
   * The member `sender` is and its keys; undefined for a peer that is no member. Throws
   * SenderRecentlyNotFound while a failed lookup is remembered, SenderKeyUnavailable when one fails now.
   */
  async resolve(sender: PeerId): Promise<SenderInfo | undefined> {
    const member = this.#source.getRoster().memberByPeerId(sender)
    if (member === undefined) return undefined
    const cached = this.#cached.get(member.country)
    let keys = cached !== undefined && this.#now() - cached.at < BOX_KEY_CACHE_MS ? cached.keys : undefined
    if (keys === undefined) {
      const miss = this.#recentMiss(member.country)
      if (miss !== undefined) throw new SenderRecentlyNotFound(member.country, miss)
      const joined = this.#lookups.has(member.country)
      keys = await this.#lookUp(member.country)
      if (keys === undefined) {
        // an envelope that joined another's lookup cost none of its own: counted and logged as a remembered miss
        const missed = joined ? this.#notFound.get(member.country) : undefined
        if (missed !== undefined) throw new SenderRecentlyNotFound(member.country, missed)
        throw new SenderKeyUnavailable()
      }
      this.#cached.set(member.country, { keys, at: this.#now() })
    }
    return { signingPublicKey: member.publicKey, ...keys, member: true }
  }

  /**
   * The keys of `country` from its directory record: one lookup at a time per country (envelopes
   * arriving meanwhile share its answer); a failure is remembered, a success ends what was.
   */
  #lookUp(country: string): Promise<SenderKeys | undefined> {
    const pending = this.#lookups.get(country)
    if (pending !== undefined) return pending
    this.#lookupCount++
    // taken before the lookup, so that a record arriving while it runs also ends the entry it leaves
    const rosterVersion = this.#source.getRoster().version
    const stamp = this.#source.recordStampOf?.(country)
    const lookup = (async () => {
      let keys: SenderKeys | undefined
      try {
        keys = await this.#source.keysOf(country)
      } catch {
        keys = undefined // a lookup that fails is a record not found, for now
      }
      if (keys === undefined) this.#rememberMiss(country, rosterVersion, stamp)
      else this.#notFound.delete(country)
      return keys
    })().finally(() => this.#lookups.delete(country))
    this.#lookups.set(country, lookup)
    return lookup
  }

  /** The live negative entry of `country`, if any; one that expired, or whose roster or record changed, is dropped. */
  #recentMiss(country: string): SenderMiss | undefined {
    const miss = this.#notFound.get(country)
    if (miss === undefined) return undefined
    if (
      this.#now() < miss.until &&
      miss.rosterVersion === this.#source.getRoster().version &&
      miss.stamp === this.#source.recordStampOf?.(country)
    )
      return miss
    this.#notFound.delete(country)
    return undefined
  }

  #rememberMiss(country: string, rosterVersion: number, stamp: string | undefined): void {
    const now = this.#now()
    this.#notFound.delete(country) // re-inserted last: the map's order is the entries' age
    if (this.#notFound.size >= MAX_SENDERS_NOT_FOUND) {
      for (const [c, m] of this.#notFound) if (m.until <= now) this.#notFound.delete(c)
      const oldest = this.#notFound.keys().next()
      if (this.#notFound.size >= MAX_SENDERS_NOT_FOUND && !oldest.done) this.#notFound.delete(oldest.value)
    }
    this.#notFound.set(country, {
      until: now + this.#notFoundTtlMs,
      rosterVersion,
      stamp,
      deferred: 0,
      loggedAt: Number.NEGATIVE_INFINITY,
    })
  }
}
