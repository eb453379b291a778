import type { AbortOptions, Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import { bytesEqual, type NodeIdentity, peerIdFromEd25519PublicKey } from '@pocnet/crypto'
import { COUNTRY_CODE_RULE, encode, isCountryCode } from '@pocnet/protocol'
import { type FrameBudget, requestOnce, serveRequests } from '@pocnet/protocol/reqresp'
import {
  DEFAULT_CACHE_FRESH_MS,
  DEFAULT_DHT_QUERY_TIMEOUT_MS,
  DEFAULT_OWN_NODE_TIMEOUT_MS,
  DEFAULT_RECORD_VALIDITY_MS,
  DEFAULT_REPUBLISH_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DIR_FETCH_PROTOCOL,
  MAX_INBOUND_STREAMS,
  MAX_RECORD_BYTES,
  MAX_REQUEST_BYTES,
  REISSUE_BEFORE_EXPIRY_MS,
} from './constants.ts'
import { checkDirectoryValue, type DirectoryRules, directoryKey } from './dht.ts'
import { firstDhtCopy } from './dht-first.ts'
import { decodeFetchAnswer, decodeFetchRequest, isUnreachable } from './dir-fetch.ts'
import { NotAMemberError, RecordNotFoundError } from './errors.ts'
import { InFlight } from './in-flight.ts'
import type {
  KnownCountry,
  LookupOptions,
  LookupResult,
  LookupSource,
  PublishResult,
} from './lookup-types.ts'
import type { DirectoryMemory } from './memory.ts'
import {
  type ContactDetails,
  compareRecords,
  type DirectoryRecord,
  signRecord,
  type VerifiedRecord,
} from './record.ts'
import { type RejectionListener, type RejectionProtocol, rejectionReason } from './rejection.ts'
import type { RosterState } from './roster/index.ts'
import { VerifiedRecords } from './verified-records.ts'

export interface DirectoryInit {
  libp2p: Libp2p
  dht: KadDHT
  identity: NodeIdentity
  /** This node's country. */
  country: string
  getRoster: () => RosterState
  memory: DirectoryMemory
  now?: () => number
  republishIntervalMs?: number
  cacheFreshMs?: number
  dhtQueryTimeoutMs?: number
  requestTimeoutMs?: number
  /** How long a lookup waits for the country's own node before it asks the DHT. */
  ownNodeTimeoutMs?: number
  recordValidityMs?: number
  /** Which record bytes verified under which roster: the one the DHT rules use (`DirectoryRules.verified`). */
  verified?: VerifiedRecords
  /** Told of every refused peer request and failed or refused peer answer, with a reason code (never the bytes). */
  onRejected?: RejectionListener
  /** The node's budget for bytes of request frames being read (none when absent). */
  frameBudget?: FrameBudget
  /** Told how each timed republish of our record ended (not those the stop cut short). */
  onRepublished?: (outcome: { result: PublishResult } | { error: Error }) => void
}

/** Most peers asked at once when the DHT does not answer. */
const MAX_PEERS_ASKED = 8

/**
 * The directory: publishes this country's signed record to the DHT (counting the peers that
 * stored it) and republishes it on a timer, and looks countries up — fresh cache, then the
 * country's own node (`/pocnet/dir-fetch/1.0.0`), then the DHT (the first valid copy; the query
 * finishes in the background), then the other connected members, then the last good record.
 * Concurrent lookups of one country share one search of the network.
 */
export class Directory {
  readonly country: string
  readonly #libp2p: Libp2p
  readonly #dht: KadDHT
  readonly #identity: NodeIdentity
  readonly #getRoster: () => RosterState
  readonly #memory: DirectoryMemory
  readonly #verified: VerifiedRecords
  /** The search of the network under way per country and sources, shared by its callers. */
  readonly #searches = new InFlight<LookupResult | undefined>()
  /** DHT queries running on after their lookup was answered; stop() waits for them. */
  readonly #background = new Set<Promise<void>>()
  readonly #rules: DirectoryRules
  readonly #now: () => number
  readonly #republishIntervalMs: number
  readonly #cacheFreshMs: number
  readonly #dhtQueryTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #ownNodeTimeoutMs: number
  readonly #recordValidityMs: number
  readonly #log: Logger
  readonly #lastSeen = new Map<string, number>()
  #own: { details: ContactDetails; verified: VerifiedRecord } | undefined
  #kemAdvertisedSince: number | undefined
  /** Republishes our record every republishIntervalMs while started. */
  readonly #republishTask: RepeatingTask
  /** Aborted by stop(): every query and request still under way ends. */
  #shutdown = new AbortController()
  #rejected = 0
  readonly #onRejected: RejectionListener | undefined
  readonly #frameBudget: FrameBudget | undefined

  constructor(init: DirectoryInit) {
    if (!isCountryCode(init.country))
      throw new TypeError(`country ${init.country} is not ${COUNTRY_CODE_RULE}`)
    this.country = init.country
    this.#libp2p = init.libp2p
    this.#dht = init.dht
    this.#identity = init.identity
    this.#getRoster = init.getRoster
    this.#memory = init.memory
    this.#now = init.now ?? Date.now
    this.#verified = init.verified ?? new VerifiedRecords()
    this.#rules = { getRoster: init.getRoster, memory: init.memory, now: this.#now, verified: this.#verified }
    this.#republishIntervalMs = init.republishIntervalMs ?? DEFAULT_REPUBLISH_INTERVAL_MS
    this.#cacheFreshMs = init.cacheFreshMs ?? DEFAULT_CACHE_FRESH_MS
    this.#dhtQueryTimeoutMs = init.dhtQueryTimeoutMs ?? DEFAULT_DHT_QUERY_TIMEOUT_MS
    this.#requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.#ownNodeTimeoutMs = init.ownNodeTimeoutMs ?? DEFAULT_OWN_NODE_TIMEOUT_MS
    this.#recordValidityMs = init.recordValidityMs ?? DEFAULT_RECORD_VALIDITY_MS
    this.#log = init.libp2p.logger.forComponent('pocnet:directory')
    this.#onRejected = init.onRejected
    this.#frameBudget = init.frameBudget
    this.#republishTask = repeatingTask(async (options) => {
      await this.republish(options).then(
        (result) => result !== undefined && init.onRepublished?.({ result }),
        (err: Error) => {
          // a republish the stop cut short has not failed
          if (options?.signal?.aborted === true) return
          this.#log.error('republish failed: %e', err)
          init.onRepublished?.({ error: err })
        },
      )
    }, this.#republishIntervalMs)
  }

  /** A query's signal: its deadline, the caller's signal when given, and this directory's stop. */
  #signal(timeout: AbortSignal, signal: AbortSignal | undefined): AbortSignal {
    return AbortSignal.any(
      signal === undefined ? [timeout, this.#shutdown.signal] : [signal, timeout, this.#shutdown.signal],
    )
  }

  /** Refused peer requests and failed or refused peer answers so far (malformed, invalid records, unreachable). */
  get rejected(): number {
    return this.#rejected
  }

  readonly #onConnect = (event: CustomEvent<PeerId>): void => {
    const member = this.#getRoster().memberByPeerId(event.detail)
    if (member !== undefined) this.#lastSeen.set(member.country, this.#now())
  }

  async start(): Promise<void> {
    this.#shutdown = new AbortController()
    await serveRequests(
      this.#libp2p,
      DIR_FETCH_PROTOCOL,
      { decode: decodeFetchRequest, answer: async (country) => this.#answerFetch(country) },
      {
        maxRequestBytes: MAX_REQUEST_BYTES,
        timeoutMs: this.#requestTimeoutMs,
        maxInboundStreams: MAX_INBOUND_STREAMS,
        requestsPerStream: 1,
        ...(this.#frameBudget !== undefined && { budget: this.#frameBudget }),
        onFailure: (error, conn) => this.#reject(error, 'dir-fetch', conn.remotePeer),
      },
    )
    this.#libp2p.addEventListener('peer:connect', this.#onConnect)
    for (const peer of this.#libp2p.getPeers())
      this.#onConnect(new CustomEvent('peer:connect', { detail: peer }))
    this.#republishTask.start()
  }

  async stop(): Promise<void> {
    this.#republishTask.stop()
    this.#shutdown.abort()
    this.#libp2p.removeEventListener('peer:connect', this.#onConnect)
    await this.#libp2p.unhandle(DIR_FETCH_PROTOCOL)
    // the aborted queries end promptly; none may outlive the node's libp2p
    await Promise.allSettled([...this.#background])
  }

  /** Searches of the network started so far (lookups that joined one under way not counted). */
  get networkLookups(): number {
    return this.#searches.started
  }

  /** Record verifications answered from memory (`hits`) and by checking a signature (`misses`). */
  get verifications(): { hits: number; misses: number } {
    return { hits: this.#verified.hits, misses: this.#verified.misses }
  }

  /** The record this node last published, if any. */
  get ownRecord(): VerifiedRecord | undefined {
    return this.#own?.verified
  }

  /**
   * Since when this country's records advertise the X-Wing key of its latest record, as far as
   * this node can tell (its own records since start, and the one it held before): undefined
   * before the first publish and when the latest record carries none.
   */
  get kemAdvertisedSince(): number | undefined {
    return this.#kemAdvertisedSince
  }

  /**
   * Issues and publishes a new record for this country: seq is the larger of (highest seq seen
   * for this country + 1) and the current time in ms, so it increases even across a lost state file.
   */
  async publish(details: ContactDetails, options: AbortOptions = {}): Promise<PublishResult> {
    const member = this.#getRoster().members.get(this.country)
    if (member === undefined || !bytesEqual(member.publicKey, this.#identity.signingPublicKey))
      throw new NotAMemberError(this.country)
    const now = this.#now()
    const record: DirectoryRecord = {
      ...details,
      country: this.country,
      seq: Math.max(this.#memory.highestSeq(this.country, now) + 1, now),
      issuedAt: now,
      expiresAt: now + this.#recordValidityMs,
    }
    const bytes = signRecord(this.#identity, record)
    const verified = { record, bytes }
    const previous = this.#own?.verified.record ?? this.#cachedValid(this.country, now)?.record
    this.#kemAdvertisedSince = advertisedSince(record, previous, this.#kemAdvertisedSince)
    this.#own = { details, verified }
    this.#memory.cache(this.country, record.seq, { bytes, fetchedAt: now }, now)
    return { ...verified, storedBy: await this.#put(bytes, options.signal) }
  }

  /** Stores our current record again (re-issuing it first when it nears expiry); undefined before the first publish. */
  async republish(options: AbortOptions = {}): Promise<PublishResult | undefined> {
    const own = this.#own
    if (own === undefined) return undefined
    if (own.verified.record.expiresAt - this.#now() < REISSUE_BEFORE_EXPIRY_MS)
      return this.publish(own.details, options)
    return { ...own.verified, storedBy: await this.#put(own.verified.bytes, options.signal) }
  }

  async #put(bytes: Uint8Array, signal: AbortSignal | undefined): Promise<number> {
    const stored = new Set<string>()
    const timeout = AbortSignal.timeout(this.#dhtQueryTimeoutMs)
    try {
      for await (const event of this.#dht.put(directoryKey(this.country), bytes, {
        signal: this.#signal(timeout, signal),
      })) {
        if (
          event.name === 'PEER_RESPONSE' &&
          event.messageName === 'PUT_VALUE' &&
          event.record !== undefined &&
          bytesEqual(event.record.value, bytes)
        )
          stored.add(event.from.toString())
      }
    } catch (err) {
      // a put that runs out of time still stored the record on the peers that answered
      if (!timeout.aborted) throw err
    }
    return stored.size
  }

  /** Finds the record of `country`; throws RecordNotFoundError when no source has a valid one. */
  async lookup(country: string, options: LookupOptions = {}): Promise<LookupResult> {
    const sources = options.sources ?? ['dht', 'peer']
    if (!isCountryCode(country)) throw new TypeError(`country ${country} is not ${COUNTRY_CODE_RULE}`)
    const now = this.#now()
    if (country === this.country && this.#own !== undefined) {
      const own = this.#own.verified
      this.#verified.verify(own.bytes, country, this.#getRoster(), now)
      return { ...own, source: 'self', fetchedAt: own.record.issuedAt }
    }
    const cached = this.#cachedValid(country, now)
    if (cached !== undefined && this.#isFresh(country, cached.fetchedAt, now))
      return { ...cached, source: 'cache' }

    const peers = sources.includes('peer')
    const dht = sources.includes('dht')
    if (peers || dht) {
      const found = await this.#searches.join(
        `${country} ${peers ? 'peer' : ''} ${dht ? 'dht' : ''}`,
        () => this.#search(country, peers, dht),
        options.signal,
      )
      if (found !== undefined) return { ...found }
    }
    if (cached !== undefined) return { ...cached, source: 'stale-cache' }
    throw new RecordNotFoundError(country)
  }

  /** One search of the network for `country`, shared by the lookups meanwhile; never rejects. */
  async #search(country: string, peers: boolean, dht: boolean): Promise<LookupResult | undefined> {
    const member = this.#getRoster().members.get(country)
    const ownNode = member === undefined ? undefined : peerIdFromEd25519PublicKey(member.publicKey)
    const found = (record: VerifiedRecord | undefined, source: LookupSource) =>
      record === undefined ? undefined : { ...record, source, fetchedAt: this.#now() }
    try {
      if (peers && ownNode !== undefined) {
        const fromOwn = await this.#askOwnNode(ownNode, country)
        if (fromOwn !== undefined) return found(fromOwn, 'peer')
      }
      if (dht) {
        const fromDht = await this.#dhtGet(country)
        if (fromDht !== undefined) return found(fromDht, 'dht')
      }
      if (peers) return found(await this.#askPeers(country, ownNode), 'peer')
    } catch (err) {
      this.#log.error('lookup of %s failed: %e', country, err)
    }
    return undefined
  }

  /** Every country this node knows of (roster members and cached records), with freshness and reachability. */
  list(): KnownCountry[] {
    const roster = this.#getRoster()
    const now = this.#now()
    const connected = new Set(
      this.#libp2p
        .getPeers()
        .map((p) => roster.memberByPeerId(p)?.country)
        .filter((c) => c !== undefined),
    )
    const countries = new Set([...roster.members.keys(), ...this.#memory.cachedCountries()])
    return [...countries].sort().map((country) => {
      const valid = country === this.country ? this.#own?.verified : this.#cachedValid(country, now)
      const fetchedAt =
        country === this.country ? valid?.record.issuedAt : this.#memory.cached(country)?.fetchedAt
      return {
        country,
        name: roster.members.get(country)?.name,
        member: roster.members.has(country),
        seq: valid?.record.seq,
        expiresAt: valid?.record.expiresAt,
        fetchedAt,
        fresh: valid !== undefined && fetchedAt !== undefined && this.#isFresh(country, fetchedAt, now),
        connected: country === this.country || connected.has(country),
        lastSeenAt: this.#lastSeen.get(country),
      }
    })
  }

  /**
   * A record fetched at `fetchedAt` may be served without asking the network: younger than the
   * freshness window, and obtained since the country's node last connected. A node that comes
   * back (a restart, a new address) publishes a new record, which the next lookup then fetches.
   */
  #isFresh(country: string, fetchedAt: number, now: number): boolean {
    return now - fetchedAt < this.#cacheFreshMs && fetchedAt >= (this.#lastSeen.get(country) ?? 0)
  }

  /** The cached record of `country` when it still verifies against the current roster and has not expired. */
  #cachedValid(country: string, now: number): (VerifiedRecord & { fetchedAt: number }) | undefined {
    const cached = this.#memory.cached(country)
    if (cached === undefined) return undefined
    // The outbox looks its counterpart up on every attempt: the signature is checked once per
    // roster version (VerifiedRecords), the clock each time.
    try {
      return {
        ...this.#verified.verify(cached.bytes, country, this.#getRoster(), now),
        fetchedAt: cached.fetchedAt,
      }
    } catch {
      return undefined
    }
  }

  /** Checks a record obtained from the network and caches it when it passes. */
  #accept(country: string, bytes: Uint8Array): VerifiedRecord {
    const verified = checkDirectoryValue(this.#rules, directoryKey(country), bytes)
    const current = this.#memory.cached(country)
    if (current === undefined || !bytesEqual(current.bytes, bytes))
      this.#memory.cache(country, verified.record.seq, { bytes, fetchedAt: this.#now() }, this.#now())
    return verified
  }

  /**
   * The first copy from the DHT that passes every rule, seq not below the highest seen (so never
   * a lower seq than one already seen); the query runs on in the background, bounded by its
   * deadline and stop(), and every later copy is checked and cached as it comes.
   */
  async #dhtGet(country: string): Promise<VerifiedRecord | undefined> {
    const query = firstDhtCopy({
      dht: this.#dht,
      key: directoryKey(country),
      self: this.#libp2p.peerId,
      signal: this.#signal(AbortSignal.timeout(this.#dhtQueryTimeoutMs), undefined),
      accept: (value, from) => {
        try {
          return this.#accept(country, value)
        } catch (err) {
          this.#reject(err as Error, 'dht', from, country)
          return undefined
        }
      },
      log: this.#log,
    })
    this.#background.add(query.done)
    void query.done.then(() => this.#background.delete(query.done))
    return query.answer
  }

  /**
   * The record from the country's own node when it is connected or its addresses are known, within
   * ownNodeTimeoutMs. Checked exactly like a copy from the DHT. Failing to reach a node this node
   * holds no connection to is not counted as a refusal: it is the usual case of a node offline.
   */
  async #askOwnNode(peer: PeerId, country: string): Promise<VerifiedRecord | undefined> {
    const connected = this.#libp2p.getConnections(peer).length > 0
    if (!connected) {
      const known = await this.#libp2p.peerStore.get(peer).catch(() => undefined)
      if (known === undefined || known.addresses.length === 0) return undefined
    }
    return this.#fetchFrom(peer, country, this.#ownNodeTimeoutMs, connected)
  }

  /** Asks the connected members other than `except` (the country's own node, asked already), a batch at a time. */
  async #askPeers(country: string, except: PeerId | undefined): Promise<VerifiedRecord | undefined> {
    const roster = this.#getRoster()
    const members = this.#libp2p
      .getPeers()
      .filter((p) => roster.memberByPeerId(p) !== undefined && !(except?.equals(p) ?? false))
    let found: VerifiedRecord | undefined
    for (let i = 0; i < members.length && found === undefined; i += MAX_PEERS_ASKED) {
      const answers = await Promise.allSettled(
        members
          .slice(i, i + MAX_PEERS_ASKED)
          .map((peer) => this.#fetchFrom(peer, country, this.#requestTimeoutMs, true)),
      )
      for (const answer of answers) {
        if (answer.status === 'fulfilled' && answer.value !== undefined) {
          if (found === undefined || compareRecords(answer.value.record, found.record) > 0)
            found = answer.value
        }
      }
    }
    return found
  }

  async #fetchFrom(
    peer: PeerId,
    country: string,
    timeoutMs: number,
    countFailure: boolean,
  ): Promise<VerifiedRecord | undefined> {
    try {
      const bytes = await requestOnce(this.#libp2p, peer, DIR_FETCH_PROTOCOL, encode({ country }), {
        maxResponseBytes: MAX_RECORD_BYTES + 64,
        signal: this.#signal(AbortSignal.timeout(timeoutMs), undefined),
        decode: decodeFetchAnswer,
      })
      if (bytes === null) return undefined
      return this.#accept(country, bytes)
    } catch (err) {
      if (countFailure || !isUnreachable(err)) this.#reject(err as Error, 'dir-fetch', peer)
      else this.#log('could not reach %p for the record of %s: %s', peer, country, (err as Error).message)
      return undefined
    }
  }

  #answerFetch(country: string): Uint8Array {
    const now = this.#now()
    const record = country === this.country ? this.#own?.verified : this.#cachedValid(country, now)
    return encode({ record: record?.bytes ?? null })
  }

  #reject(err: Error, protocol: RejectionProtocol, peer: PeerId, country?: string): void {
    this.#rejected++
    this.#log('refused %s exchange with %p: %s', protocol, peer, err.message)
    this.#onRejected?.({
      protocol,
      reason: rejectionReason(err),
      peer,
      ...(country !== undefined && { country }),
    })
  }
}

/** When the run of records carrying `record`'s X-Wing key began: at `previous` if it carries the same key. */
function advertisedSince(
  record: DirectoryRecord,
  previous: DirectoryRecord | undefined,
  since: number | undefined,
): number | undefined {
  if (record.kemPublicKey === undefined) return undefined
  if (previous?.kemPublicKey === undefined || !bytesEqual(previous.kemPublicKey, record.kemPublicKey))
    return record.issuedAt
  return Math.min(since ?? previous.issuedAt, previous.issuedAt)
}
