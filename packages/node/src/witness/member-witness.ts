import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { MlDsa44Signer, NodeIdentity } from '@pocnet/crypto'
import type { RosterState } from '@pocnet/directory'
import {
  type AddCheckpointRequest,
  checkpointOrigin,
  EquivocationError,
  memberWitnessName,
  OldSizeMismatchError,
  RollbackError,
  Witness,
  type WitnessedLog,
  WitnessRefusedError,
} from '@pocnet/ledger'
import { type FrameBudget, serveRequests } from '@pocnet/protocol/reqresp'
import { type Logger, LogThrottle } from '../log.ts'
import type { EquivocationAlarm } from './alarm.ts'
import {
  decodeWitnessRequest,
  encodeWitnessAnswer,
  MAX_WITNESS_REQUEST_BYTES,
  WITNESS_PROTOCOL,
  WITNESS_PROTOCOL_ML_DSA,
  type WitnessAnswer,
} from './wire.ts'

const EXCHANGE_TIMEOUT_MS = 10_000
/** A member sends one request at a time per checkpoint; a few streams cover a resynchronisation. */
const MAX_INBOUND_STREAMS = 4
/** A refusal's message is cut to this many characters on the wire. */
const MAX_MESSAGE_CHARS = 300

export interface MemberWitnessInit {
  host: Libp2p
  /** The node's budget for bytes of request frames being read (none when absent). */
  frameBudget?: FrameBudget
  identity: NodeIdentity
  /** Its ML-DSA-44 witness key, when the data directory has one: it then cosigns with both kinds. */
  mlDsaSigner?: MlDsa44Signer
  network: string
  country: string
  getRoster: () => RosterState
  /** Directory of the witness's state (a LevelDB of its own). */
  dir: string
  alarm: EquivocationAlarm
  log: Logger
}

/** The logs a member witnesses: every other member's ledger, under its roster key. */
export function memberLogs(roster: RosterState, network: string, self: string): WitnessedLog[] {
  return [...roster.members.values()]
    .filter((m) => m.country !== self)
    .map((m) => ({ origin: checkpointOrigin(network, m.country), publicKeys: [m.publicKey] }))
}

/**
 * This node as a witness of the other members' ledgers (C2SP tlog-witness over libp2p): serves
 * /pocnet/witness/1.0.0 to connected roster members only, cosigns with the node key under
 * `memberWitnessName`, follows the roster (a member removed is no longer cosigned), counts its
 * refusals by reason and hands equivocation evidence to the alarm.
 */
export class MemberWitness {
  readonly #init: MemberWitnessInit
  readonly #witness: Witness
  readonly #throttle = new LogThrottle()
  /** Requests refused, by reason (tlog-witness's, and `not-a-member`). */
  readonly refusals: Record<string, number> = {}
  #cosigned = 0

  private constructor(init: MemberWitnessInit, witness: Witness) {
    this.#init = init
    this.#witness = witness
  }

  static async open(init: MemberWitnessInit): Promise<MemberWitness> {
    const witness = await Witness.open({
      dir: init.dir,
      cosigner: {
        name: memberWitnessName(init.network, init.country),
        publicKey: init.identity.signingPublicKey,
        signer: init.identity.signer,
      },
      ...(init.mlDsaSigner !== undefined && {
        mlDsaCosigner: {
          name: memberWitnessName(init.network, init.country),
          publicKey: init.mlDsaSigner.publicKey,
          signer: init.mlDsaSigner,
        },
      }),
      logs: memberLogs(init.getRoster(), init.network, init.country),
    })
    return new MemberWitness(init, witness)
  }

  /** Checkpoints cosigned since start. */
  get cosigned(): number {
    return this.#cosigned
  }

  /** The size this witness holds for `country`'s log, 0 when none. */
  heldSize(country: string): number {
    return this.#witness.held(checkpointOrigin(this.#init.network, country))?.size ?? 0
  }

  /** Evidence the witness stored (it survives restarts). */
  evidence() {
    return this.#witness.evidence()
  }

  /** The roster changed: follow its members now. */
  rosterChanged(): void {
    this.#witness.setLogs(memberLogs(this.#init.getRoster(), this.#init.network, this.#init.country))
  }

  /** Serves 1.0.0 (the Ed25519 line alone, as before) and 1.1.0 (the ML-DSA-44 line too, when it has a key). */
  async start(): Promise<void> {
    for (const protocol of [WITNESS_PROTOCOL, WITNESS_PROTOCOL_ML_DSA])
      await serveRequests(
        this.#init.host,
        protocol,
        {
          decode: decodeWitnessRequest,
          answer: async (request, conn) => {
            const answer = await this.#answer(request, conn)
            if (protocol === WITNESS_PROTOCOL_ML_DSA || !('mlDsaCosignature' in answer))
              return encodeWitnessAnswer(answer)
            const { mlDsaCosignature: _, ...classical } = answer
            return encodeWitnessAnswer(classical)
          },
        },
        {
          maxRequestBytes: MAX_WITNESS_REQUEST_BYTES,
          timeoutMs: EXCHANGE_TIMEOUT_MS,
          maxInboundStreams: MAX_INBOUND_STREAMS,
          requestsPerStream: 1,
          ...(this.#init.frameBudget !== undefined && { budget: this.#init.frameBudget }),
          onFailure: (error, conn) => this.#refused(`exchange-${error.failure}`, conn.remotePeer),
        },
      )
  }

  async stop(): Promise<void> {
    await this.#init.host.unhandle(WITNESS_PROTOCOL).catch(() => {})
    await this.#init.host.unhandle(WITNESS_PROTOCOL_ML_DSA).catch(() => {})
    await this.#witness.close()
  }

  async #answer(request: AddCheckpointRequest, connection: Connection): Promise<WitnessAnswer> {
    const member = this.#init.getRoster().memberByPeerId(connection.remotePeer)
    if (member === undefined || member.country === this.#init.country) {
      this.#refused('not-a-member', connection.remotePeer)
      return { status: 403, reason: 'not-a-member', message: 'only other roster members are witnessed' }
    }
    try {
      const { cosignature, mlDsaCosignature } = await this.#witness.addCheckpoint(request)
      this.#cosigned++
      return { status: 200, cosignature, ...(mlDsaCosignature !== undefined && { mlDsaCosignature }) }
    } catch (err) {
      if (!(err instanceof WitnessRefusedError)) throw err
      if (err instanceof EquivocationError) await this.#init.alarm.raise(err.evidence)
      this.#refused(err.reason, connection.remotePeer, err.message)
      const heldSize =
        err instanceof OldSizeMismatchError || err instanceof RollbackError ? err.heldSize : undefined
      return {
        status: err.status,
        reason: err.reason,
        message: err.message.slice(0, MAX_MESSAGE_CHARS),
        ...(heldSize !== undefined && { heldSize }),
      }
    }
  }

  #refused(reason: string, peer: PeerId, message?: string): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1
    // a size mismatch is the ordinary resynchronisation after a restart: counted, not logged
    if (reason === 'old-size-mismatch') return
    const count = this.#throttle.hit(reason)
    if (count !== undefined)
      this.#init.log.warn('witness.refused', {
        reason,
        peer: peer.toString(),
        member: this.#init.getRoster().memberByPeerId(peer)?.country ?? null,
        ...(message !== undefined && { message }),
        refusedSinceStart: count,
      })
  }
}
