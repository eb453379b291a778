import { sha256, toHex } from '@pocnet/crypto'
import { MAX_ROSTER_MEMBERS } from './constants.ts'
import { checkRecordTimes, type DirectoryRecord, type VerifiedRecord, verifyRecord } from './record.ts'
import type { RosterState } from './roster/index.ts'

/** Records remembered as verified per roster version: a few per member (current, previous, in flight). */
const MAX_REMEMBERED_PER_ROSTER = 4 * MAX_ROSTER_MEMBERS

/**
 * `verifyRecord` with memory: the signature and decoding of given bytes under a given roster
 * version are checked once; the clock (expiry, issue time, seq bound) on every call. A record
 * reaches a node many times (the DHT validator, the lookup that asked, the country's own node,
 * the cache on every send); the Ed25519 check is the cost, and its outcome depends on the bytes
 * and the member key only. Keyed by the roster's state object, which each roster version has
 * its own of (a new version starts empty, so a rotated or removed key is never trusted from
 * memory), and by the SHA-256 of the bytes. Only successes are remembered.
 */
export class VerifiedRecords {
  readonly #byRoster = new WeakMap<RosterState, Map<string, DirectoryRecord>>()
  /** The same byte array seen again (the cached record on every send): no hash needed. */
  readonly #byBytes = new WeakMap<Uint8Array, { roster: RosterState; record: DirectoryRecord }>()
  #hits = 0
  #misses = 0

  /** Verifications answered from memory so far. */
  get hits(): number {
    return this.#hits
  }

  /** Verifications that checked a signature so far (passed or not). */
  get misses(): number {
    return this.#misses
  }

  /** As `verifyRecord`: throws RecordRejectedError naming the broken rule. */
  verify(bytes: Uint8Array, country: string, roster: RosterState, now: number): VerifiedRecord {
    const same = this.#byBytes.get(bytes)
    if (same !== undefined && same.roster === roster && same.record.country === country) {
      this.#hits++
      checkRecordTimes(same.record, now)
      return { record: same.record, bytes }
    }
    const key = `${country} ${toHex(sha256(bytes))}`
    let known = this.#byRoster.get(roster)
    const record = known?.get(key)
    if (record !== undefined) {
      this.#hits++
      checkRecordTimes(record, now)
      this.#byBytes.set(bytes, { roster, record })
      return { record, bytes }
    }
    this.#misses++
    // decoded from plain bytes, so the record's byte fields are plain Uint8Arrays whoever held them
    // (a Buffer from a stream): the remembered record is handed to every later caller
    const plain = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes)
    const { record: verifiedRecord } = verifyRecord(plain, country, roster, now)
    const verified = { record: verifiedRecord, bytes }
    if (known === undefined) {
      known = new Map()
      this.#byRoster.set(roster, known)
    }
    if (known.size >= MAX_REMEMBERED_PER_ROSTER) known.delete(known.keys().next().value as string)
    known.set(key, verified.record)
    this.#byBytes.set(bytes, { roster, record: verified.record })
    return verified
  }
}
