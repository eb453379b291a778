import {
  type ConnectionGater,
  isPeerId,
  NotFoundError,
  type PeerId,
  type StreamHandler,
  type StreamHandlerOptions,
} from '@libp2p/interface'
import {
  Record as DhtRecord,
  type KadDHT,
  type KadDHTComponents,
  type KadDHTInit,
  kadDHT,
  passthroughMapper,
  type SelectFn,
  type ValidateFn,
} from '@libp2p/kad-dht'
import { COUNTRY_CODE_RULE, decode, isCountryCode } from '@pocnet/protocol'
import { DHT_PROTOCOL, DIRECTORY_KEY_NAMESPACE, MAX_RECORD_BYTES } from './constants.ts'
import { capDhtStream } from './dht-stream-cap.ts'
import { RecordRejectedError } from './errors.ts'
import type { DirectoryMemory } from './memory.ts'
import { compareRecords, decodeRecordBody, type VerifiedRecord, verifyRecord } from './record.ts'
import type { RejectionListener } from './rejection.ts'
import type { RosterState } from './roster/index.ts'
import type { VerifiedRecords } from './verified-records.ts'

const KEY_PREFIX = `/${DIRECTORY_KEY_NAMESPACE}/`

/** The DHT key of a country's record: `/pocnet-dir/<CC>`. */
export function directoryKey(country: string): Uint8Array {
  if (!isCountryCode(country))
    throw new TypeError(`country ${JSON.stringify(country)} is not ${COUNTRY_CODE_RULE}`)
  return new TextEncoder().encode(KEY_PREFIX + country)
}

/** The country of a directory DHT key, or undefined when the key is not one. */
export function countryOfKey(key: Uint8Array): string | undefined {
  if (key.length !== KEY_PREFIX.length + 2) return undefined
  const text = new TextDecoder().decode(key)
  const country = text.slice(KEY_PREFIX.length)
  return text.startsWith(KEY_PREFIX) && isCountryCode(country) ? country : undefined
}

export interface DirectoryRules {
  /** The roster in force now. */
  getRoster: () => RosterState
  memory: DirectoryMemory
  now?: () => number
  /** Remembers which record bytes verified under which roster version; share one with the Directory. */
  verified?: VerifiedRecords
  /**
   * Told each time a peer asks this node to store what pocnet never stores in the DHT: kad-dht's
   * own `/pk/` record (`record`), a provider record (`provider`), or a record under any other key
   * outside `/pocnet-dir/` (`key`). The request is refused.
   */
  onForeign?: (what: 'record' | 'provider' | 'key') => void
  /**
   * Told each time the validator refuses a `/pocnet-dir/` record a peer asked this node to store
   * (PUT_VALUE) or served to a GET, with the problem (`bad-signature`, `stale`, …) as `reason`.
   * Records this node already held are not reported: `directoryDht` drops one that no longer
   * passes (expired, or a newer seq seen since) before kad-dht reads it.
   */
  onRejected?: RejectionListener
}

/** A record or provider record pocnet does not store: kad-dht refuses the request that carried it. */
export class ForeignDhtDataError extends RecordRejectedError {
  constructor(what: string) {
    super('malformed', `${what}: pocnet's DHT stores only /${DIRECTORY_KEY_NAMESPACE}/<CC> records`)
  }
}

/**
 * Full check of a record under `key`: everything `verifyRecord` checks, plus "never go back":
 * a seq lower than the highest this node has seen for the country is refused as stale.
 * A record that passes raises the remembered seq.
 */
export function checkDirectoryValue(
  rules: DirectoryRules,
  key: Uint8Array,
  value: Uint8Array,
): VerifiedRecord {
  const country = countryOfKey(key)
  if (country === undefined) throw new RecordRejectedError('malformed', 'DHT key is not /pocnet-dir/<CC>')
  const now = (rules.now ?? Date.now)()
  const roster = rules.getRoster()
  const verified =
    rules.verified === undefined
      ? verifyRecord(value, country, roster, now)
      : rules.verified.verify(value, country, roster, now)
  const highest = rules.memory.highestSeq(country, now)
  if (verified.record.seq < highest)
    throw new RecordRejectedError(
      'stale',
      `record for ${country} has seq ${verified.record.seq}; seq ${highest} was already seen`,
    )
  rules.memory.observeSeq(country, verified.record.seq, now)
  return verified
}

/** kad-dht validator for `/pocnet-dir/` keys: throws (refusing the record) unless it passes every rule. */
export function directoryValidator(rules: DirectoryRules): ValidateFn {
  return (key, value) => {
    try {
      checkDirectoryValue(rules, key, value)
    } catch (err) {
      if (err instanceof RecordRejectedError)
        rules.onRejected?.({ protocol: 'dht', reason: err.problem, country: countryOfKey(key) })
      throw err
    }
  }
}

/**
 * kad-dht selector for `/pocnet-dir/` keys: the highest seq, then the latest expiry. The values
 * it is given have passed the validator; any that fails to decode ranks last.
 */
export const directorySelector: SelectFn = (_key, records) => {
  let best = 0
  let bestRecord: ReturnType<typeof decodeRecordBody> | undefined
  for (const [i, bytes] of records.entries()) {
    let record: ReturnType<typeof decodeRecordBody>
    try {
      const outer = decode(bytes, { maxBytes: MAX_RECORD_BYTES, maxDepth: 1 }) as { body?: unknown }
      if (!(outer.body instanceof Uint8Array)) continue
      record = decodeRecordBody(outer.body)
    } catch {
      continue
    }
    if (bestRecord === undefined || compareRecords(record, bestRecord) > 0) {
      best = i
      bestRecord = record
    }
  }
  return best
}

/**
 * The kad-dht options a pocnet node uses: private protocol id, server mode (loopback and
 * private networks never look "public"), passthrough address mapping (keep private addresses),
 * and the directory validator and selector.
 */
export function directoryDhtOptions(rules: DirectoryRules): KadDHTInit {
  return {
    protocol: DHT_PROTOCOL,
    clientMode: false,
    peerInfoMapper: passthroughMapper,
    validators: {
      [DIRECTORY_KEY_NAMESPACE]: directoryValidator(rules),
      // kad-dht adds a validator for its own /pk/ namespace unless overridden: any peer could
      // then store one record per key pair it makes up, in memory, without bound
      pk: () => {
        rules.onForeign?.('record')
        throw new ForeignDhtDataError('a /pk/ record')
      },
    },
    selectors: { [DIRECTORY_KEY_NAMESPACE]: directorySelector },
  }
}

/** Where kad-dht keeps provider records in the libp2p datastore (its default `datastorePrefix`). */
const PROVIDER_KEY_PREFIX = '/dht/provider/'
/** Where kad-dht keeps the records it stores for the DHT. */
export const RECORD_KEY_PREFIX = '/dht/record/'

/** Whether a record kad-dht stored earlier still passes every rule now (it may have expired since). */
function storedRecordPasses(rules: DirectoryRules, raw: Uint8Array): boolean {
  try {
    const record = DhtRecord.deserialize(raw)
    if (countryOfKey(record.key) === undefined) return true // not ours to judge: the validator is
    checkDirectoryValue(rules, record.key, record.value)
    return true
  } catch {
    return false
  }
}

/**
 * The directory's kad-dht service: `directoryDhtOptions`, and a datastore that refuses provider
 * records. kad-dht stores an ADD_PROVIDER for any content id from any peer, and pocnet provides
 * nothing, so each would only be memory a member could fill without bound (libp2p's datastore is
 * in memory), and a slower scan of every datastore query.
 *
 * A stored `/pocnet-dir/` record that no longer passes (expired, a newer seq seen since, its key
 * rotated away) is dropped when kad-dht reads it, as if absent: so the validator (and
 * `rules.onRejected`) only ever sees records from peers, and no peer is served a dead record.
 */
export function directoryDht(rules: DirectoryRules): (components: KadDHTComponents) => KadDHT {
  const create = kadDHT(directoryDhtOptions(rules))
  return (components) => {
    const real = components.datastore
    const datastore = new Proxy(real, {
      get(target, prop) {
        if (prop === 'get')
          return async (key: { toString(): string }, ...rest: unknown[]) => {
            const raw = (await (target.get as (...args: unknown[]) => unknown)(key, ...rest)) as Uint8Array
            if (!key.toString().startsWith(RECORD_KEY_PREFIX) || storedRecordPasses(rules, raw)) return raw
            await (target.delete as (...args: unknown[]) => unknown)(key)
            throw new NotFoundError('the stored record no longer passes the directory rules')
          }
        if (prop === 'put')
          return (key: { toString(): string }, ...rest: unknown[]) => {
            if (key.toString().startsWith(PROVIDER_KEY_PREFIX)) {
              rules.onForeign?.('provider')
              return Promise.reject(new ForeignDhtDataError('a provider record'))
            }
            return (target.put as (...args: unknown[]) => unknown)(key, ...rest)
          }
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const capped = cappedDhtStreams(components, rules)
    const replaced: Record<PropertyKey, unknown> = { datastore, ...capped }
    const dht = create(
      new Proxy(components, {
        get: (target, prop) => (prop in replaced ? replaced[prop] : Reflect.get(target, prop, target)),
      }),
    )
    refuseOtherNamespaces(dht, rules)
    return dht
  }
}

/**
 * kad-dht's registrar and connection manager, with every stream of the DHT protocol capped as its
 * bytes arrive (capDhtStream): the streams it serves and the streams it opens for its queries.
 * Each cut is told to `rules.onRejected` as a `dht-message` rejection with the peer.
 */
function cappedDhtStreams(
  components: KadDHTComponents,
  rules: DirectoryRules,
): Pick<KadDHTComponents, 'registrar' | 'connectionManager'> {
  const onRefused = (reason: string, peer: PeerId | undefined) =>
    rules.onRejected?.({ protocol: 'dht-message', reason, ...(peer !== undefined && { peer }) })
  const isDht = (protocols: string | string[]) => [protocols].flat().includes(DHT_PROTOCOL)
  const registrar = new Proxy(components.registrar, {
    get(target, prop) {
      if (prop === 'handle')
        return (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) =>
          target.handle(
            protocol,
            protocol !== DHT_PROTOCOL
              ? handler
              : (stream, connection) => {
                  capDhtStream(stream, connection.remotePeer, onRefused)
                  return handler(stream, connection)
                },
            options,
          )
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const connectionManager = new Proxy(components.connectionManager, {
    get(target, prop) {
      if (prop === 'openStream')
        return async (...args: Parameters<typeof target.openStream>) => {
          const stream = await target.openStream(...args)
          const [peer, protocols] = args
          if (isDht(protocols)) capDhtStream(stream, isPeerId(peer) ? peer : undefined, onRefused)
          return stream
        }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { registrar, connectionManager }
}

/**
 * kad-dht finds a record's validator by the key's namespace in a plain object (its `validators`,
 * shared with its request handlers). A namespace without one was refused uncounted; and one named
 * like a member of Object.prototype (`/constructor/…`, `/toString/…`) found that function, which
 * does not throw, so any member could store records under such keys without bound. Behind the
 * object's own validators (`/pocnet-dir/`, `/pk/`) every other namespace now finds one that refuses
 * and tells `onForeign('key')`. A kad-dht without that object is left as it is (its tests would say).
 */
function refuseOtherNamespaces(dht: KadDHT, rules: DirectoryRules): void {
  const validators = (dht as unknown as { validators?: unknown }).validators
  if (typeof validators !== 'object' || validators === null) return
  const refuse: ValidateFn = () => {
    rules.onForeign?.('key')
    throw new ForeignDhtDataError('a record outside /pocnet-dir/ and /pk/')
  }
  const otherwise = new Proxy(Object.create(null) as object, {
    // `then` stays absent: the object must never look like a promise
    get: (_target, prop) => (typeof prop === 'string' && prop !== 'then' ? refuse : undefined),
  })
  Object.setPrototypeOf(validators, otherwise)
}

/** A connection gater that refuses, in both directions, any peer that is not a current roster member. */
export function rosterConnectionGater(getRoster: () => RosterState): ConnectionGater {
  const deny = (peerId: PeerId) => getRoster().memberByPeerId(peerId) === undefined
  return {
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
  }
}
