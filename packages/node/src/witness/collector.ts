import type { Libp2p, PeerId } from '@libp2p/interface'
import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import type { RosterState } from '@pocnet/directory'
import {
  checkpointKeyId,
  memberWitnessName,
  parseCosignature,
  parseMlDsaCosignature,
  type SignedCheckpoint,
  splitNote,
  verifyCosignature,
  verifyCosignatures,
  verifyMlDsaCosignature,
} from '@pocnet/ledger'
import { ExchangeError, requestOnce } from '@pocnet/protocol/reqresp'
import type { Logger } from '../log.ts'
import {
  decodeWitnessAnswer,
  encodeWitnessRequest,
  MAX_WITNESS_ANSWER_BYTES,
  MAX_WITNESS_ML_DSA_ANSWER_BYTES,
  WITNESS_PROTOCOL,
  WITNESS_PROTOCOL_ML_DSA,
} from './wire.ts'

/** How often the collector looks for a new checkpoint and for members still to ask. */
const ROUND_EVERY_MS = 2_000
/** A member that failed to answer (or refused) is asked again after this long. */
const RETRY_AFTER_MS = 10_000
const EXCHANGE_TIMEOUT_MS = 10_000
/** While a caller waits for cosignatures (an export), members still to answer are asked this often. */
const WAIT_ROUND_EVERY_MS = 250

/** What the collector needs of the ledger (the `Ledger` has all of it). */
export interface CosignedLog {
  readonly origin: string
  readonly publicKey: Uint8Array
  latestCheckpoint(): SignedCheckpoint | undefined
  consistencyProof(first: number, second: number): Promise<Uint8Array[]>
  /** Stores verified cosignature lines beside the checkpoint of that size; returns how many were new. */
  addCosignatures(size: number, lines: string[]): Promise<number>
}

/** One member as a witness of this node's ledger, as `status` shows it. */
export interface WitnessView {
  country: string
  /** The largest size of this ledger it cosigned (this start, or on the latest stored checkpoint). */
  cosignedSize: number | null
  /** That cosignature's timestamp, ms since the epoch. */
  cosignedAt: number | null
  /** Why the last request failed, when it did. */
  lastError: string | null
}

export interface CosignatureStatus {
  minCosigners: number
  latestSize: number | null
  /** Members whose cosignature is stored for the latest checkpoint. */
  cosigners: string[]
  /** The latest checkpoint carries at least `minCosigners` cosignatures. */
  meetsPolicy: boolean
  witnesses: WitnessView[]
}

/** Who cosigned a checkpoint a caller waited for, against the policy's k. */
export interface CosignedNow {
  size: number
  /** Members whose cosignature of that checkpoint is stored, sorted. */
  cosigners: string[]
  minCosigners: number
  meetsPolicy: boolean
}

export interface CosignatureCollectorInit {
  host: Libp2p
  ledger: CosignedLog
  getRoster: () => RosterState
  network: string
  country: string
  /** The policy: cosignatures of distinct members the latest checkpoint should carry. */
  minCosigners: (roster: RosterState) => number
  log: Logger
  now?: () => number
}

interface MemberState {
  /** The size its witness holds, as it last told us (undefined: not known yet, try 0). */
  heldSize?: number
  cosignedSize?: number
  cosignedAt?: number
  lastError?: string
  busy: boolean
  retryAt: number
}

/**
 * Asks every connected member to cosign each new checkpoint of this node's ledger
 * (/pocnet/witness/1.0.0), resynchronises on a size-mismatch refusal by proving from the size the
 * witness holds, checks each cosignature against the member's roster key and stores it beside its
 * checkpoint. Members that do not answer are asked again later. It never blocks anything: while
 * fewer than the policy's k have cosigned, `status` and the log say so.
 */
export class CosignatureCollector {
  readonly #init: CosignatureCollectorInit
  readonly #now: () => number
  readonly #members = new Map<string, MemberState>()
  readonly #task: RepeatingTask
  readonly #shutdown = new AbortController()
  /** Members whose cosignature of the latest checkpoint is stored. */
  #cosigners = { size: -1, countries: new Set<string>() }
  /** The latest checkpoint size seen, since when, and whether the policy warning was given for it. */
  #seen = { size: -1, at: 0, warned: false }

  constructor(init: CosignatureCollectorInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#task = repeatingTask(() => this.#round(), ROUND_EVERY_MS, { runImmediately: true })
  }

  readonly #onConnect = (event: CustomEvent<PeerId>): void => {
    const country = this.#init.getRoster().memberByPeerId(event.detail)?.country
    if (country === undefined) return
    const state = this.#state(country)
    state.retryAt = 0
    this.#round()
  }

  start(): void {
    this.#seedFromStoredCosignatures()
    this.#init.host.addEventListener('peer:connect', this.#onConnect)
    this.#task.start()
  }

  stop(): void {
    this.#shutdown.abort()
    this.#task.stop()
    this.#init.host.removeEventListener('peer:connect', this.#onConnect)
  }

  status(): CosignatureStatus {
    const roster = this.#init.getRoster()
    const latest = this.#init.ledger.latestCheckpoint()
    const k = this.#init.minCosigners(roster)
    const cosigners =
      latest !== undefined && this.#cosigners.size === latest.size
        ? [...this.#cosigners.countries].filter((c) => roster.members.has(c)).sort()
        : []
    return {
      minCosigners: k,
      latestSize: latest?.size ?? null,
      cosigners,
      meetsPolicy: cosigners.length >= k,
      witnesses: [...roster.members.keys()]
        .filter((c) => c !== this.#init.country)
        .sort()
        .map((country) => {
          const s = this.#members.get(country)
          return {
            country,
            cosignedSize: s?.cosignedSize ?? null,
            cosignedAt: s?.cosignedAt ?? null,
            lastError: s?.lastError ?? null,
          }
        }),
    }
  }

  /**
   * Asks every connected member that has not cosigned `checkpoint` (the latest) to cosign it now,
   * members that failed a moment ago included, and resolves once the policy's k have (their
   * cosignatures stored) or after `timeoutMs`, whichever is first. Never rejects for want of
   * cosigners: the answer says who did.
   */
  async cosignNow(checkpoint: SignedCheckpoint, timeoutMs: number): Promise<CosignedNow> {
    const deadline = this.#now() + timeoutMs
    for (const state of this.#members.values()) state.retryAt = 0
    for (;;) {
      this.#round()
      const { cosigners, minCosigners } = this.status()
      const done = this.#cosigners.size === checkpoint.size ? cosigners : []
      if (done.length >= minCosigners || this.#now() >= deadline || this.#shutdown.signal.aborted)
        return {
          size: checkpoint.size,
          cosigners: done,
          minCosigners,
          meetsPolicy: done.length >= minCosigners,
        }
      await new Promise((resolve) => setTimeout(resolve, WAIT_ROUND_EVERY_MS))
    }
  }

  /** Who already cosigned the latest checkpoint, from the lines stored on its note. */
  #seedFromStoredCosignatures(): void {
    const latest = this.#init.ledger.latestCheckpoint()
    if (latest === undefined) return
    const roster = this.#init.getRoster()
    const witnesses = [...roster.members.values()]
      .filter((m) => m.country !== this.#init.country)
      .map((m) => ({
        name: memberWitnessName(this.#init.network, m.country),
        publicKey: m.publicKey,
        country: m.country,
      }))
    let found: { name: string; timestamp: number }[]
    try {
      found = verifyCosignatures(latest.note, witnesses)
    } catch (err) {
      this.#init.log.warn('witness.stored-cosignatures-invalid', { error: (err as Error).message })
      return
    }
    for (const cosigned of found) {
      const country = witnesses.find((w) => w.name === cosigned.name)!.country
      this.#noteCosigned(country, latest.size, cosigned.timestamp)
    }
  }

  #state(country: string): MemberState {
    let state = this.#members.get(country)
    if (state === undefined) {
      state = { busy: false, retryAt: 0 }
      this.#members.set(country, state)
    }
    return state
  }

  #round(): void {
    if (this.#shutdown.signal.aborted) return
    const latest = this.#init.ledger.latestCheckpoint()
    if (latest === undefined || latest.size === 0) return
    const roster = this.#init.getRoster()
    const now = this.#now()
    for (const peer of this.#init.host.getPeers()) {
      const country = roster.memberByPeerId(peer)?.country
      if (country === undefined || country === this.#init.country) continue
      const state = this.#state(country)
      if (state.busy || (state.cosignedSize ?? 0) >= latest.size || now < state.retryAt) continue
      state.busy = true
      void this.#ask(country, peer, latest, state).finally(() => {
        state.busy = false
      })
    }
    this.#checkPolicy(latest, roster)
  }

  /** Says once per checkpoint, when it is still short of the policy RETRY_AFTER_MS after it was seen. */
  #checkPolicy(latest: SignedCheckpoint, roster: RosterState): void {
    if (this.#seen.size !== latest.size) this.#seen = { size: latest.size, at: this.#now(), warned: false }
    if (this.#seen.warned || this.#now() - this.#seen.at < RETRY_AFTER_MS) return
    const { cosigners, minCosigners, meetsPolicy } = this.status()
    if (meetsPolicy) return
    this.#seen.warned = true
    this.#init.log.warn('witness.below-policy', {
      size: latest.size,
      cosigners: cosigners.join(' ') || null,
      have: cosigners.length,
      need: minCosigners,
      members: roster.members.size - 1,
    })
  }

  async #ask(country: string, peer: PeerId, latest: SignedCheckpoint, state: MemberState): Promise<void> {
    const member = this.#init.getRoster().members.get(country)
    if (member === undefined) return
    try {
      // a size mismatch is answered with the size the witness holds: one more try from there
      for (let attempt = 0; attempt < 2; attempt++) {
        const oldSize = state.heldSize ?? 0
        if (oldSize > latest.size) {
          throw new Error(
            `${country} has cosigned size ${oldSize} of this ledger, above its latest checkpoint (${latest.size})`,
          )
        }
        const proof =
          oldSize === 0 || oldSize === latest.size
            ? []
            : await this.#init.ledger.consistencyProof(oldSize, latest.size)
        // a member the roster gives an ML-DSA-44 witness key is asked for that line too (1.1.0)
        const mlDsaKey = member.mlDsaWitnessKey
        const answer = await requestOnce(
          this.#init.host,
          peer,
          mlDsaKey === undefined ? WITNESS_PROTOCOL : WITNESS_PROTOCOL_ML_DSA,
          encodeWitnessRequest({ oldSize, consistencyProof: proof, checkpointNote: this.#ownNote(latest) }),
          {
            maxResponseBytes:
              mlDsaKey === undefined ? MAX_WITNESS_ANSWER_BYTES : MAX_WITNESS_ML_DSA_ANSWER_BYTES,
            signal: AbortSignal.any([AbortSignal.timeout(EXCHANGE_TIMEOUT_MS), this.#shutdown.signal]),
            decode: (frame) => decodeWitnessAnswer(frame, { mlDsa: mlDsaKey !== undefined }),
          },
        )
        if ('cosignature' in answer) {
          const timestamp = this.#checkCosignature(answer.cosignature, country, member.publicKey, latest)
          const lines = [answer.cosignature]
          if (answer.mlDsaCosignature !== undefined && mlDsaKey !== undefined) {
            if (this.#validMlDsaLine(answer.mlDsaCosignature, country, mlDsaKey, latest))
              lines.push(answer.mlDsaCosignature)
            else
              this.#init.log.warn('witness.bad-ml-dsa-cosignature', {
                by: country,
                size: latest.size,
                hint: "its ML-DSA-44 line does not verify under the roster's ML-DSA-44 witness key: only its Ed25519 line is kept",
              })
          }
          await this.#init.ledger.addCosignatures(latest.size, lines)
          state.heldSize = latest.size
          state.lastError = undefined
          this.#noteCosigned(country, latest.size, timestamp)
          this.#init.log.debug('witness.cosigned', { by: country, size: latest.size })
          return
        }
        if ('reason' in answer && answer.heldSize !== undefined && answer.reason === 'old-size-mismatch') {
          state.heldSize = answer.heldSize
          continue
        }
        if ('reason' in answer) {
          if (answer.heldSize !== undefined) state.heldSize = answer.heldSize
          // a witness that says this ledger equivocated or went back is evidence against this node
          const loud = answer.reason === 'equivocation' || answer.reason === 'rollback'
          this.#init.log[loud ? 'error' : 'warn']('witness.refused-our-checkpoint', {
            by: country,
            size: latest.size,
            status: answer.status,
            reason: answer.reason,
            message: answer.message,
          })
          throw new Error(`${answer.status} ${answer.reason}: ${answer.message}`)
        }
      }
      throw new Error('the witness kept answering with another held size')
    } catch (err) {
      if (this.#shutdown.signal.aborted) return
      const message = err instanceof ExchangeError ? `${err.failure}` : (err as Error).message
      state.lastError = message
      state.retryAt = this.#now() + RETRY_AFTER_MS
      this.#init.log.debug('witness.request-failed', { to: country, size: latest.size, error: message })
    }
  }

  /** The checkpoint with the log's own signature only: the cosignatures already on it stay here. */
  #ownNote(latest: SignedCheckpoint): string {
    const { text, signatures } = splitNote(latest.note)
    const keyId = Buffer.from(checkpointKeyId(this.#init.ledger.origin, this.#init.ledger.publicKey))
    const own = signatures.filter((s) => s.name === this.#init.ledger.origin && keyId.equals(s.keyId))
    return `${text}\n${own.map((s) => `${s.line}\n`).join('')}`
  }

  /** Checks a cosignature line is the member's, on this checkpoint; returns its timestamp (ms). */
  #checkCosignature(line: string, country: string, publicKey: Uint8Array, latest: SignedCheckpoint): number {
    const cosignature = parseCosignature(line)
    const name = memberWitnessName(this.#init.network, country)
    const { text } = splitNote(latest.note)
    if (cosignature.name !== name || !verifyCosignature(text, cosignature, publicKey))
      throw new Error(
        `the cosignature from ${country} is not a valid cosignature/v1 by ${name} on this checkpoint`,
      )
    return cosignature.timestamp * 1000
  }

  /** True if `line` is the member's ML-DSA-44 cosignature, by the roster's key, on this checkpoint. */
  #validMlDsaLine(line: string, country: string, publicKey: Uint8Array, latest: SignedCheckpoint): boolean {
    try {
      const cosignature = parseMlDsaCosignature(line)
      return (
        cosignature.name === memberWitnessName(this.#init.network, country) &&
        verifyMlDsaCosignature(splitNote(latest.note).text, cosignature, publicKey)
      )
    } catch {
      return false
    }
  }

  #noteCosigned(country: string, size: number, at: number): void {
    const state = this.#state(country)
    if ((state.cosignedSize ?? -1) < size) {
      state.cosignedSize = size
      state.cosignedAt = at
    }
    state.heldSize = Math.max(state.heldSize ?? 0, size)
    if (size < this.#cosigners.size) return
    if (size > this.#cosigners.size) this.#cosigners = { size, countries: new Set() }
    this.#cosigners.countries.add(country)
  }
}
