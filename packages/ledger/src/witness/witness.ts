import { bytesEqual } from '@pocnet/crypto'
import { parseCheckpoint, type SignedCheckpoint, verifyStandardCheckpoint } from '../checkpoint.ts'
import { HASH_LENGTH } from '../constants.ts'
import { type Cosigner, signCosignature } from '../cosignature.ts'
import {
  CheckpointFormatError,
  ConsistencyProofError,
  EquivocationError,
  LogSignatureError,
  OldSizeMismatchError,
  RollbackError,
  UnknownLogError,
  WitnessRequestError,
  WitnessStateError,
} from '../errors.ts'
import { type MlDsaCosigner, signMlDsaCosignature } from '../mldsa-cosignature.ts'
import { type EquivocationEvidence, type EquivocationKind, judgeConsistencyProof } from './evidence.ts'
import { WitnessState } from './state.ts'

/*
 * The witness of c2sp.org/tlog-witness without its transport: for each log it follows (origin →
 * public keys) it holds the latest checkpoint it cosigned, and cosigns a new one only when it is
 * validly signed, its old size is the held size, and a consistency proof leads from the held
 * checkpoint to it. The new checkpoint is stored (fsync'd) before the cosignature is returned,
 * and requests for one log run one at a time, so the witness never cosigns an older tree after a
 * newer one, even across a SIGKILL.
 */

/** tlog-witness: a client MUST NOT send more than 63 consistency proof lines. */
const MAX_PROOF_HASHES = 63

/** A log the witness follows: its origin (also its key name) and the keys it signs checkpoints with. */
export interface WitnessedLog {
  origin: string
  publicKeys: readonly Uint8Array[]
}

export interface WitnessOptions {
  /** Directory of the witness's LevelDB state (created if missing). */
  dir: string
  cosigner: Cosigner
  /** Its ML-DSA-44 key under the same name, if it has one: it then cosigns with both (two lines). */
  mlDsaCosigner?: MlDsaCosigner
  logs: readonly WitnessedLog[]
  /** Milliseconds since the epoch; cosignature timestamps are its whole seconds. Defaults to Date.now. */
  now?: () => number
}

/** An add-checkpoint request (tlog-witness): the size the log believes the witness holds, and the proof from it. */
export interface AddCheckpointRequest {
  oldSize: number
  consistencyProof: readonly Uint8Array[]
  checkpointNote: string
}

export interface CosignedCheckpoint {
  checkpoint: SignedCheckpoint
  /** The cosignature/v1 line, without newline (addCosignatures puts it on the note). */
  cosignature: string
  /** The ML-DSA-44 cosignature line, same timestamp, when the witness has an ML-DSA-44 key. */
  mlDsaCosignature?: string
  /** Its timestamp, POSIX seconds. */
  timestamp: number
}

export class Witness {
  readonly #cosigner: Cosigner
  readonly #mlDsaCosigner: MlDsaCosigner | undefined
  #logs: Map<string, readonly Uint8Array[]>
  readonly #held: Map<string, SignedCheckpoint>
  readonly #queues = new Map<string, Promise<unknown>>()
  readonly #state: WitnessState
  readonly #now: () => number
  #closed = false

  private constructor(options: WitnessOptions, state: WitnessState, held: Map<string, SignedCheckpoint>) {
    this.#cosigner = options.cosigner
    this.#mlDsaCosigner = options.mlDsaCosigner
    this.#logs = new Map(options.logs.map((log) => [log.origin, log.publicKeys]))
    this.#state = state
    this.#held = held
    this.#now = options.now ?? Date.now
  }

  static async open(options: WitnessOptions): Promise<Witness> {
    const state = await WitnessState.open(options.dir)
    const held = new Map<string, SignedCheckpoint>()
    try {
      for (const [origin, note] of await state.latestNotes()) {
        const { checkpoint } = parseCheckpoint(note)
        if (checkpoint.origin !== origin)
          throw new WitnessStateError(`the checkpoint stored for ${origin} is of ${checkpoint.origin}`)
        held.set(origin, { ...checkpoint, note })
      }
    } catch (err) {
      await state.close()
      throw err
    }
    return new Witness(options, state, held)
  }

  get name(): string {
    return this.#cosigner.name
  }

  /**
   * Replaces the logs followed (the roster changed). Requests already queued are judged against
   * the new list; what is held for a log no longer followed is kept, should it come back.
   */
  setLogs(logs: readonly WitnessedLog[]): void {
    this.#logs = new Map(logs.map((log) => [log.origin, log.publicKeys]))
  }

  /** The latest checkpoint cosigned for `origin`, if any. */
  held(origin: string): SignedCheckpoint | undefined {
    return this.#held.get(origin)
  }

  /** Every equivocation the witness recorded, as stored. */
  evidence(): Promise<EquivocationEvidence[]> {
    this.#check()
    return this.#state.evidence()
  }

  /**
   * Cosigns `request.checkpointNote` or refuses it with a WitnessRefusedError subclass. Requests
   * for one log are handled one at a time, in arrival order.
   */
  addCheckpoint(request: AddCheckpointRequest): Promise<CosignedCheckpoint> {
    this.#check()
    let origin: string
    try {
      origin = parseCheckpoint(request.checkpointNote).checkpoint.origin
    } catch (err) {
      return Promise.reject(new WitnessRequestError((err as Error).message))
    }
    const previous = this.#queues.get(origin) ?? Promise.resolve()
    const run = previous.then(
      () => this.#add(origin, request),
      () => this.#add(origin, request),
    )
    const tail = run.catch(() => {})
    this.#queues.set(origin, tail)
    void tail.then(() => {
      if (this.#queues.get(origin) === tail) this.#queues.delete(origin)
    })
    return run
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all(this.#queues.values())
    await this.#state.close()
  }

  #check(): void {
    if (this.#closed) throw new WitnessStateError('the witness is closed')
  }

  async #add(origin: string, request: AddCheckpointRequest): Promise<CosignedCheckpoint> {
    this.#check()
    const keys = this.#logs.get(origin)
    if (keys === undefined) throw new UnknownLogError(origin)
    const checkpoint = this.#verifiedCheckpoint(request.checkpointNote, keys)
    const proof = checkedProof(request)
    const held = this.#held.get(origin)
    const heldSize = held?.size ?? 0

    if (checkpoint.size < heldSize) throw new RollbackError(checkpoint.size, heldSize)
    if (request.oldSize > checkpoint.size)
      throw new WitnessRequestError(
        `old size ${request.oldSize} is above the checkpoint's size ${checkpoint.size}`,
      )
    if (request.oldSize !== heldSize) throw new OldSizeMismatchError(request.oldSize, heldSize)

    if (held !== undefined && held.size === checkpoint.size) {
      if (!bytesEqual(held.root, checkpoint.root))
        await this.#equivocation('same-size', held, checkpoint, [], 409, `two roots for size ${held.size}`)
      if (proof.length > 0) throw new WitnessRequestError('the proof between equal sizes must be empty')
    } else if (held === undefined || held.size === 0) {
      if (proof.length > 0) throw new WitnessRequestError('the proof from size 0 must be empty')
      await this.#state.putLatest(origin, checkpoint.note)
    } else {
      const verdict = judgeConsistencyProof(held, checkpoint, proof)
      if (verdict === 'contradicts')
        await this.#equivocation(
          'inconsistent-proof',
          held,
          checkpoint,
          proof,
          422,
          `the tree of size ${checkpoint.size} does not extend the cosigned one of size ${held.size}`,
        )
      if (verdict !== 'consistent')
        throw new ConsistencyProofError(
          `the proof does not lead from size ${held.size} to the checkpoint of size ${checkpoint.size}`,
        )
      await this.#state.putLatest(origin, checkpoint.note)
    }
    this.#held.set(origin, checkpoint)

    const timestamp = Math.floor(this.#now() / 1000)
    const body = parseCheckpoint(checkpoint.note).body
    const mlDsa = this.#mlDsaCosigner
    return {
      checkpoint,
      cosignature: signCosignature(this.#cosigner, body, timestamp),
      ...(mlDsa !== undefined && { mlDsaCosignature: signMlDsaCosignature(mlDsa, body, timestamp) }),
      timestamp,
    }
  }

  #verifiedCheckpoint(note: string, keys: readonly Uint8Array[]): SignedCheckpoint {
    try {
      return verifyStandardCheckpoint(note, keys)
    } catch (err) {
      if (err instanceof CheckpointFormatError && err.problem !== 'malformed')
        throw new LogSignatureError(err.message)
      throw new WitnessRequestError((err as Error).message)
    }
  }

  async #equivocation(
    kind: EquivocationKind,
    held: SignedCheckpoint,
    conflicting: SignedCheckpoint,
    proof: readonly Uint8Array[],
    status: number,
    detail: string,
  ): Promise<never> {
    const evidence: EquivocationEvidence = {
      kind,
      origin: held.origin,
      heldNote: held.note,
      conflictingNote: conflicting.note,
      proof: proof.map((h) => Buffer.from(h).toString('base64')),
      recordedAt: this.#now(),
    }
    await this.#state.putEvidence(evidence)
    throw new EquivocationError(status, detail, evidence)
  }
}

function checkedProof(request: AddCheckpointRequest): readonly Uint8Array[] {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0)
    throw new WitnessRequestError('old size must be a non-negative integer')
  const proof = request.consistencyProof
  if (proof.length > MAX_PROOF_HASHES)
    throw new WitnessRequestError(`a consistency proof has at most ${MAX_PROOF_HASHES} hashes`)
  if (!proof.every((h) => h instanceof Uint8Array && h.length === HASH_LENGTH))
    throw new WitnessRequestError(`every consistency proof hash must be ${HASH_LENGTH} bytes`)
  return proof
}
