import { createHash } from 'node:crypto'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import type { RosterState } from '@pocnet/directory'
import {
  checkpointOrigin,
  type EquivocationEvidence,
  type Ledger,
  parseCheckpoint,
  verifyEvidence,
} from '@pocnet/ledger'
import { ExchangeError, type FrameBudget, requestOnce, serveRequests } from '@pocnet/protocol/reqresp'
import type { EventFeed } from '../feed.ts'
import { type Logger, LogThrottle } from '../log.ts'
import {
  decodeEvidence,
  decodeEvidenceAnswer,
  EVIDENCE_PROTOCOL,
  type EvidenceAnswer,
  type EvidenceOutcome,
  encodeEvidence,
  encodeEvidenceAnswer,
  MAX_EVIDENCE_ANSWER_BYTES,
  MAX_EVIDENCE_BYTES,
} from './wire.ts'

/** How often evidence not yet taken by every member is offered again to those connected. */
const OFFER_EVERY_MS = 5_000
const EXCHANGE_TIMEOUT_MS = 10_000
const MAX_INBOUND_STREAMS = 4
/** Alerts shown in `status` (the ledger keeps them all). */
const MAX_ALERTS_SHOWN = 50

/** One equivocation this node knows of, as `status` shows it. */
export interface EquivocationAlert {
  /** SHA-256 of both notes, hex: the same evidence from two members is one alert. */
  id: string
  /** The member whose log equivocated. */
  country: string
  origin: string
  kind: EquivocationEvidence['kind']
  heldSize: number
  conflictingSize: number
  /** Who found it: this node's witness (`self`) or the member that sent it. */
  reportedBy: string
  /** When this node recorded it, ms since the epoch. */
  recordedAt: number
  /** The accused log is this node's own. */
  againstSelf: boolean
}

export interface EquivocationAlarmInit {
  host: Libp2p
  /** The node's budget for bytes of request frames being read (none when absent). */
  frameBudget?: FrameBudget
  ledger: Ledger
  feed: EventFeed
  getRoster: () => RosterState
  network: string
  country: string
  log: Logger
  now?: () => number
}

/** The id of a piece of evidence: the same pair of notes is the same evidence. */
export function evidenceId(evidence: EquivocationEvidence): string {
  return createHash('sha256')
    .update(evidence.heldNote)
    .update('\u0000')
    .update(evidence.conflictingNote)
    .digest('hex')
}

/**
 * What the node does with equivocation evidence, its own witness's or a member's: checks it
 * against the roster key of the accused log, records it once (an `equivocation` ledger entry with
 * the evidence as its blob), raises the alert (status, log, feed and notify hook, a counter), and
 * offers it on /pocnet/evidence/1.0.0 to every member until each has taken it. Evidence against
 * this node's own log is recorded and alerted the same way, and logged as such.
 */
export class EquivocationAlarm {
  readonly #init: EquivocationAlarmInit
  readonly #now: () => number
  readonly #alerts = new Map<string, EquivocationAlert>()
  /** Evidence still to be offered, with the members that have not taken it yet. */
  readonly #toOffer = new Map<string, { evidence: EquivocationEvidence; members: Set<string> }>()
  readonly #offering = new Set<string>()
  readonly #refused = new LogThrottle()
  readonly #task: RepeatingTask
  readonly #shutdown = new AbortController()
  /** Evidence offered to this node that did not hold, by reason. */
  readonly refusals: Record<string, number> = {}
  #recording: Promise<unknown> = Promise.resolve()

  constructor(init: EquivocationAlarmInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#task = repeatingTask(() => this.#offerAll(), OFFER_EVERY_MS)
  }

  /** Equivocations recorded, this start and before. */
  get count(): number {
    return this.#alerts.size
  }

  /** The latest alerts, newest first. */
  alerts(): EquivocationAlert[] {
    return [...this.#alerts.values()].sort((a, b) => b.recordedAt - a.recordedAt).slice(0, MAX_ALERTS_SHOWN)
  }

  /**
   * Reads the equivocations recorded before this start from the ledger, offers `ownEvidence` (what
   * this node's witness holds) again to every member, and serves the evidence protocol.
   */
  async start(ownEvidence: readonly EquivocationEvidence[]): Promise<void> {
    for await (const entry of this.#init.ledger.scan({ kind: 'equivocation' })) {
      const d = entry.detail ?? {}
      if (typeof d.id !== 'string') continue
      this.#alerts.set(d.id, {
        id: d.id,
        country: entry.counterpart ?? '??',
        origin: String(d.origin),
        kind: d.evidence === 'same-size' ? 'same-size' : 'inconsistent-proof',
        heldSize: Number(d.heldSize),
        conflictingSize: Number(d.conflictingSize),
        reportedBy: entry.actor === 'node' ? 'self' : entry.actor.replace(/^country:/, ''),
        recordedAt: entry.time,
        againstSelf: entry.counterpart === this.#init.country,
      })
    }
    for (const evidence of ownEvidence) this.#queueOffer(evidence)
    await serveRequests(
      this.#init.host,
      EVIDENCE_PROTOCOL,
      {
        decode: decodeEvidence,
        answer: async (evidence, conn) => encodeEvidenceAnswer(await this.#offered(evidence, conn)),
      },
      {
        maxRequestBytes: MAX_EVIDENCE_BYTES,
        timeoutMs: EXCHANGE_TIMEOUT_MS,
        maxInboundStreams: MAX_INBOUND_STREAMS,
        requestsPerStream: 1,
        ...(this.#init.frameBudget !== undefined && { budget: this.#init.frameBudget }),
        onFailure: (error, conn) => this.#refuse(`exchange-${error.failure}`, conn.remotePeer),
      },
    )
    this.#task.start()
  }

  async stop(): Promise<void> {
    this.#shutdown.abort()
    this.#task.stop()
    await this.#init.host.unhandle(EVIDENCE_PROTOCOL).catch(() => {})
    await this.#recording.catch(() => {})
  }

  /**
   * Evidence this node's own witness found (already checked by it): recorded, alerted and
   * offered to every member. Returns whether it was new.
   */
  raise(evidence: EquivocationEvidence): Promise<boolean> {
    const country = this.#countryOfOrigin(evidence.origin)
    return this.#record(evidence, country ?? '??', 'self')
  }

  /** A member offered evidence: checked against the accused member's roster key, then recorded once. */
  async #offered(evidence: EquivocationEvidence, connection: Connection): Promise<EvidenceAnswer> {
    const roster = this.#init.getRoster()
    const reporter = roster.memberByPeerId(connection.remotePeer)?.country
    if (reporter === undefined || reporter === this.#init.country) {
      this.#refuse('not-a-member', connection.remotePeer)
      return { outcome: 'refused', reason: 'only other roster members may offer evidence' }
    }
    const accused = this.#countryOfOrigin(evidence.origin)
    const key = accused === undefined ? undefined : roster.members.get(accused)?.publicKey
    if (accused === undefined || key === undefined) {
      this.#refuse('unknown-log', connection.remotePeer)
      return { outcome: 'refused', reason: `${evidence.origin} is not the log of a roster member` }
    }
    try {
      verifyEvidence(evidence, key)
    } catch (err) {
      this.#refuse('invalid-evidence', connection.remotePeer)
      return { outcome: 'refused', reason: (err as Error).message.slice(0, 300) }
    }
    const fresh = await this.#record(evidence, accused, reporter)
    return { outcome: fresh ? 'recorded' : 'known' }
  }

  #countryOfOrigin(origin: string): string | undefined {
    for (const country of this.#init.getRoster().members.keys())
      if (checkpointOrigin(this.#init.network, country) === origin) return country
    return undefined
  }

  /** Records and alerts once per evidence id; one at a time, so two offers of one evidence are one alert. */
  #record(evidence: EquivocationEvidence, accused: string, reportedBy: string): Promise<boolean> {
    const run = this.#recording.then(async () => {
      const id = evidenceId(evidence)
      if (this.#alerts.has(id)) return false
      const held = parseCheckpoint(evidence.heldNote).checkpoint
      const conflicting = parseCheckpoint(evidence.conflictingNote).checkpoint
      const alert: EquivocationAlert = {
        id,
        country: accused,
        origin: evidence.origin,
        kind: evidence.kind,
        heldSize: held.size,
        conflictingSize: conflicting.size,
        reportedBy,
        recordedAt: this.#now(),
        againstSelf: accused === this.#init.country,
      }
      await this.#init.ledger.append(
        {
          kind: 'equivocation',
          actor: reportedBy === 'self' ? 'node' : `country:${reportedBy}`,
          counterpart: accused,
          detail: {
            id,
            origin: evidence.origin,
            evidence: evidence.kind,
            heldSize: held.size,
            conflictingSize: conflicting.size,
          },
        },
        { blobs: [new TextEncoder().encode(JSON.stringify(evidence))] },
      )
      this.#alerts.set(id, alert)
      this.#alert(alert)
      this.#queueOffer(evidence, reportedBy)
      return true
    })
    this.#recording = run.catch(() => {})
    return run
  }

  #alert(alert: EquivocationAlert): void {
    const sizes =
      alert.kind === 'same-size'
        ? `two different trees of size ${alert.heldSize}`
        : `a tree of size ${alert.conflictingSize} that does not extend the one of size ${alert.heldSize}`
    const whose = alert.againstSelf ? "THIS NODE's own ledger" : `${alert.country}'s ledger`
    const by = alert.reportedBy === 'self' ? "this node's witness" : `${alert.reportedBy}'s witness`
    this.#init.log.error(alert.againstSelf ? 'witness.equivocation-against-self' : 'witness.equivocation', {
      country: alert.country,
      origin: alert.origin,
      kind: alert.kind,
      heldSize: alert.heldSize,
      conflictingSize: alert.conflictingSize,
      reportedBy: alert.reportedBy,
      id: alert.id,
    })
    this.#init.feed.publish({
      type: 'equivocation',
      caseId: '',
      at: new Date(alert.recordedAt).toISOString(),
      summary: `${whose} equivocated: ${by} holds signed checkpoints of ${sizes} (see docs/operations.md, "Equivocation alert")`,
      detail: {
        country: alert.country,
        heldSize: alert.heldSize,
        conflictingSize: alert.conflictingSize,
        reportedBy: alert.reportedBy,
        againstSelf: alert.againstSelf,
        id: alert.id,
      },
    })
  }

  /** Offers `evidence` to every other member but the one it came from. */
  #queueOffer(evidence: EquivocationEvidence, from?: string): void {
    const members = new Set(
      [...this.#init.getRoster().members.keys()].filter((c) => c !== this.#init.country && c !== from),
    )
    if (members.size > 0) this.#toOffer.set(evidenceId(evidence), { evidence, members })
    void Promise.resolve().then(() => this.#offerAll())
  }

  #offerAll(): void {
    if (this.#shutdown.signal.aborted) return
    const roster = this.#init.getRoster()
    for (const peer of this.#init.host.getPeers()) {
      const country = roster.memberByPeerId(peer)?.country
      if (country === undefined) continue
      for (const [id, pending] of this.#toOffer) {
        if (!pending.members.has(country) || this.#offering.has(`${id}/${country}`)) continue
        void this.#offer(id, pending, country, peer)
      }
    }
  }

  async #offer(
    id: string,
    pending: { evidence: EquivocationEvidence; members: Set<string> },
    country: string,
    peer: PeerId,
  ): Promise<void> {
    const key = `${id}/${country}`
    this.#offering.add(key)
    try {
      const answer = await requestOnce(
        this.#init.host,
        peer,
        EVIDENCE_PROTOCOL,
        encodeEvidence(pending.evidence),
        {
          maxResponseBytes: MAX_EVIDENCE_ANSWER_BYTES,
          signal: AbortSignal.any([AbortSignal.timeout(EXCHANGE_TIMEOUT_MS), this.#shutdown.signal]),
          decode: decodeEvidenceAnswer,
        },
      )
      pending.members.delete(country)
      if (pending.members.size === 0) this.#toOffer.delete(id)
      const level = answer.outcome === 'refused' ? 'warn' : 'info'
      this.#init.log[level]('witness.evidence-offered', {
        to: country,
        id,
        outcome: answer.outcome satisfies EvidenceOutcome,
        ...(answer.reason !== undefined && { reason: answer.reason }),
      })
    } catch (err) {
      if (!this.#shutdown.signal.aborted)
        this.#init.log.debug('witness.evidence-offer-failed', {
          to: country,
          id,
          error: ExchangeError.of(err, EVIDENCE_PROTOCOL).message,
        })
    } finally {
      this.#offering.delete(key)
    }
  }

  #refuse(reason: string, peer: PeerId): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1
    const count = this.#refused.hit(reason)
    if (count !== undefined)
      this.#init.log.warn('witness.evidence-refused', {
        reason,
        peer: peer.toString(),
        member: this.#init.getRoster().memberByPeerId(peer)?.country ?? null,
        refusedSinceStart: count,
      })
  }
}
