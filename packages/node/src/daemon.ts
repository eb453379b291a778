import type { Server } from 'node:http'
import { join } from 'node:path'
import type { PeerId } from '@libp2p/interface'
import type { NodeIdentity } from '@pocnet/crypto'
import {
  type ContactDetails,
  type Directory,
  type DirectoryMemory,
  type OfferOutcome,
  type RosterKeeper,
  type RosterState,
  type RosterSync,
  writeRosterChainFile,
} from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import type { FrameBudget } from '@pocnet/protocol/reqresp'
import { attachmentsOfCase } from './attachments/of-case.ts'
import type { Attachments } from './attachments/service.ts'
import type { CaseBook } from './casebook/index.ts'
import { type NodeConfig, sealsHybrid } from './config.ts'
import type { ConnectionGuard } from './connection-guard.ts'
import { DATA_DIR, SNAPSHOT_INTERVAL_MS, STOP_TIMEOUT_MS } from './constants.ts'
import type { Role } from './control/roles.ts'
import { BootstrapDialer } from './daemon/bootstrap.ts'
import { assembleHealth, type Health } from './daemon/health.ts'
import { openDataDir } from './daemon/open-data.ts'
import { publishOwnRecord } from './daemon/own-record.ts'
import type { PublicationStatus } from './daemon/publication-status.ts'
import { createServices, type NodeServices } from './daemon/services.ts'
import { UnstoredRecordRetry } from './daemon/unstored-retry.ts'
import type { DeliveryReceiver, InboundMessage } from './delivery.ts'
import type { Drills } from './drills/service.ts'
import { type DutyDesk, dutyDesk } from './duty/desk.ts'
import { watchAt } from './duty/shifts.ts'
import { DutyStore } from './duty/store.ts'
import type { EventFeed } from './feed.ts'
import type { Host } from './host.ts'
import type { IntakeDesk } from './intake/desk.ts'
import { createLogger, type Logger, type LogThrottle } from './log.ts'
import { NodeMetrics } from './metrics/node-metrics.ts'
import { serveNodeMetrics } from './metrics/server.ts'
import type { Outbox } from './outbox.ts'
import type { PeerRejections } from './peer-rejections.ts'
import type { MemberReadPause } from './read-pause.ts'
import type { KeyRetirement } from './retirement.ts'
import { snapshotKey } from './snapshot/file.ts'
import { type SnapshotLoad, StartSnapshot } from './snapshot/start-snapshot.ts'
import type { EquivocationAlarm } from './witness/alarm.ts'
import type { CosignatureCollector } from './witness/collector.ts'
import type { MemberWitness } from './witness/member-witness.ts'

export interface DaemonOptions {
  dataDir: string
  passphrase: string
  log?: Logger
  /** The case clock (ms since the epoch), for drills and tests that move time; the wire always uses real time. */
  caseClock?: () => number
  /** How long a failed lookup of a sender's directory record is remembered (SENDER_NOT_FOUND_TTL_MS); for tests. */
  senderNotFoundTtlMs?: number
  /** How long after this node first advertises its X-Wing key downgrades are still let in (DOWNGRADE_GRACE_MS); for tests. */
  downgradeGraceMs?: number
  /** A control-API user's role, for the duty roster's checks; without it no one may be put on duty. */
  roleOf?: (name: string) => Role | undefined
}

/** The operator's contact details as kept in `contact.json` (keys and addresses are filled in by the node). */
export type ContactFile = Omit<ContactDetails, 'boxPublicKey' | 'kemPublicKey' | 'addresses'>

/**
 * A country's node: the encrypted key, the roster, the ledger, the libp2p host with the
 * directory, delivery and the durable outbox. `start` returns once it serves; `stop` is
 * bounded in time.
 */
export class PocnetDaemon {
  readonly dataDir: string
  readonly config: NodeConfig
  readonly identity: NodeIdentity
  readonly ledger: Ledger
  readonly host: Host
  readonly directory: Directory
  readonly outbox: Outbox
  readonly receiver: DeliveryReceiver
  readonly cases: CaseBook
  readonly drills: Drills
  readonly intake: IntakeDesk
  /** Attachments that travel: uploads, transfers, caps and quota (attachments/). */
  readonly attachments: Attachments
  readonly feed: EventFeed
  readonly witness: MemberWitness
  readonly alarm: EquivocationAlarm
  readonly cosignatures: CosignatureCollector
  /** The duty roster and the pager that escalates unacknowledged requests. */
  readonly duty: DutyDesk
  /** How the publications of this node's own directory record ended. */
  readonly publication: PublicationStatus
  readonly log: Logger
  readonly startedAt = Date.now()
  readonly #guard: ConnectionGuard
  readonly #dhtRefused: LogThrottle
  readonly #frameBudget: FrameBudget
  readonly #readPause: MemberReadPause
  readonly #peerRejections: PeerRejections
  readonly #keeper: RosterKeeper
  readonly #sync: RosterSync
  readonly #memory: DirectoryMemory
  readonly #retirement: KeyRetirement
  readonly #messageListeners: Set<(m: InboundMessage) => void>
  /** Dials the bootstrap peers and remembered members every BOOTSTRAP_INTERVAL_MS. */
  readonly #bootstrap: BootstrapDialer
  /** The start index: loaded from the snapshot (or the ledger) at start, saved every minute and at stop. */
  readonly #snapshot: StartSnapshot
  /** Aborted by stop(): dials and the record's publication still under way end. */
  readonly #shutdown = new AbortController()
  /** Sends the own record again when a member connects while no peer holds it. */
  readonly #unstoredRetry: UnstoredRecordRetry
  #control: Server | undefined
  /** The metrics registry and its endpoint, when config.json has `metrics`. */
  readonly #metrics: NodeMetrics | undefined
  readonly #dhtRecords: () => Promise<number>
  #metricsServer: Server | undefined
  #stopping: Promise<void> | undefined

  private constructor(
    init: NodeServices & {
      dataDir: string
      config: NodeConfig
      identity: NodeIdentity
      ledger: Ledger
      keeper: RosterKeeper
      memory: DirectoryMemory
      log: Logger
      metrics: NodeMetrics | undefined
      duty: DutyDesk
    },
  ) {
    this.dataDir = init.dataDir
    this.config = init.config
    this.identity = init.identity
    this.ledger = init.ledger
    this.host = init.host
    this.directory = init.directory
    this.outbox = init.outbox
    this.receiver = init.receiver
    this.cases = init.cases
    this.drills = init.drills
    this.intake = init.intake
    this.attachments = init.attachments
    this.feed = init.feed
    this.witness = init.witness
    this.alarm = init.alarm
    this.cosignatures = init.cosignatures
    this.duty = init.duty
    this.publication = init.publication
    this.#unstoredRetry = new UnstoredRecordRetry({
      status: this.publication,
      republish: (signal) => this.directory.republish({ signal }),
      publish: () => this.publishOwnRecord(),
      onMemberConnected: (listener) => {
        // only members get this far: the roster gater refuses every other peer's connection
        this.host.addEventListener('peer:connect', listener)
        return () => this.host.removeEventListener('peer:connect', listener)
      },
      connectedMembers: () => this.host.getPeers().length,
      shutdown: this.#shutdown.signal,
    })
    this.#guard = init.guard
    this.#dhtRefused = init.dhtRefused
    this.#frameBudget = init.frameBudget
    this.#readPause = init.readPause
    this.#peerRejections = init.peerRejections
    this.#keeper = init.keeper
    this.#sync = init.sync
    this.#memory = init.memory
    this.#retirement = init.retirement
    this.#messageListeners = init.messageListeners
    this.log = init.log
    this.#metrics = init.metrics
    this.#dhtRecords = init.dhtRecords
    this.#snapshot = new StartSnapshot({
      ledger: init.ledger,
      path: join(init.dataDir, DATA_DIR.startSnapshot),
      key: snapshotKey(init.identity.secrets.signingSeed),
      log: init.log.child('snapshot'),
    })
    this.#bootstrap = new BootstrapDialer({
      host: init.host,
      country: init.config.country,
      peerId: init.identity.peerId,
      bootstrap: init.config.bootstrap,
      getRoster: () => init.keeper.state,
      memory: init.memory,
      retirement: init.retirement,
      shutdown: this.#shutdown.signal,
      log: init.log,
    })
  }

  /** How this start came by its views' index: from the snapshot, or by a fold of the whole ledger; undefined before. */
  get snapshotLoad(): SnapshotLoad | undefined {
    return this.#snapshot.lastLoad
  }

  get roster(): RosterState {
    return this.#keeper.state
  }

  static async start(opts: DaemonOptions): Promise<PocnetDaemon> {
    const { dataDir } = opts
    const log = opts.log ?? createLogger()
    // before anything is opened: a damaged duty.json stops the start with nothing to close
    const dutyStore = await DutyStore.open(dataDir, opts.roleOf ?? (() => undefined))
    const opened = await openDataDir(dataDir, opts.passphrase, log)
    const { keeper, ledger } = opened
    const metrics = opened.config.metrics === undefined ? undefined : new NodeMetrics()
    const services = await createServices(opened, {
      dataDir,
      log,
      ...(metrics !== undefined && { metrics }),
      ...(opts.caseClock !== undefined && { caseClock: opts.caseClock }),
      ...(opts.senderNotFoundTtlMs !== undefined && { senderNotFoundTtlMs: opts.senderNotFoundTtlMs }),
      ...(opts.downgradeGraceMs !== undefined && { downgradeGraceMs: opts.downgradeGraceMs }),
    })
    const { witness } = services
    const duty = dutyDesk({
      store: dutyStore,
      config: opened.config,
      ledger,
      feed: services.feed,
      cases: services.cases,
      directory: services.directory,
      now: opts.caseClock === undefined ? () => new Date() : () => new Date(opts.caseClock!()),
      log: log.child('duty'),
    })
    const daemon = new PocnetDaemon({ ...opened, ...services, duty, dataDir, log, metrics })
    keeper.onRosterAdopted((adoption) => {
      void (async () => {
        await writeRosterChainFile(join(dataDir, DATA_DIR.roster), adoption.documents)
        await ledger.append({
          kind: 'roster-changed',
          actor: 'node',
          detail: { from: adoption.previousVersion, to: adoption.version, hash: adoption.hash },
        })
        witness.rosterChanged()
        log.info('roster.adopted', { version: adoption.version })
      })().catch((err: unknown) => log.error('roster.persist-failed', { error: String(err) }))
      void daemon
        .#onRetirements()
        .catch((err: unknown) =>
          log.error('roster.retirement-failed', { error: String((err as Error).message ?? err) }),
        )
    })
    try {
      await daemon.#startServices()
    } catch (err) {
      // libp2p already listens and the ledger is open: left so, the process would never end
      // (and hold the ledger's lock) after the start failed
      await daemon
        .stop()
        .catch((stopErr: unknown) =>
          log.error('node.stop-failed', { error: String((stopErr as Error).message ?? stopErr) }),
        )
      throw err
    }
    return daemon
  }

  async #startServices(): Promise<void> {
    // The case book is rebuilt before delivery serves, so inbound case messages are checked
    // against the whole history; the drills before the outbox, which tells them of receipts.
    const index = await this.#snapshot.load()
    await this.drills.start(index)
    await this.outbox.start(index)
    await this.cases.start(index)
    await this.duty.pager.load(index.pages)
    await this.intake.start()
    // after the case book, which holds the attachments' keys; before delivery, which admits new ones
    await this.attachments.start()
    await this.attachments.adoptMissing(
      this.cases.list().map(({ id }) => {
        const held = this.cases.get(id)
        return { caseId: id, counterpart: held.counterpart, named: attachmentsOfCase(held) }
      }),
    )
    // a start that had entries to read saves them, so a start after a crash need not read them again
    if ((this.#snapshot.lastLoad?.entriesRead ?? 0) > 0)
      void this.#snapshot
        .save()
        .catch((err: unknown) => this.log.error('snapshot.save-failed', { error: String(err) }))
    this.#snapshot.saveEvery(SNAPSHOT_INTERVAL_MS)
    await this.receiver.start()
    await this.directory.start()
    await this.#sync.start()
    await this.alarm.start(await this.witness.evidence())
    await this.witness.start()
    this.cosignatures.start()
    this.#bootstrap.start()
    if (this.#metrics !== undefined && this.config.metrics !== undefined)
      this.#metricsServer = await serveNodeMetrics({
        config: this.config.metrics,
        metrics: this.#metrics,
        sources: {
          health: () => this.health(),
          cases: this.cases,
          outbox: this.outbox,
          ledger: this.ledger,
          rosterMembers: () => this.roster.members.size,
          dhtRecords: this.#dhtRecords,
          drills: () => this.drills.overview(),
          duty: () => ({
            officerOnDuty: watchAt(this.duty.store.roster, this.duty.now().getTime()) !== undefined,
            pages: this.duty.pager.pageCounts(),
          }),
        },
        log: this.log.child('metrics'),
      })
    this.duty.pager.start()
    void this.duty.pager.check().catch(() => {})
    // a refused record or a failed publication is logged once and shown by `pocnet status`; the
    // node runs on: it still sends, cosigns and syncs, and a fixed contact.json is published
    // without a restart (`pocnet directory publish`)
    void this.publishOwnRecord().catch(() => {})
    this.#unstoredRetry.start()
    this.log.info('node.started', {
      country: this.config.country,
      peerId: this.identity.peerId.toString(),
      addresses: this.host.getMultiaddrs().map(String).join(' '),
    })
  }

  onMessage(listener: (m: InboundMessage) => void): () => void {
    this.#messageListeners.add(listener)
    return () => this.#messageListeners.delete(listener)
  }

  attachControlServer(server: Server): void {
    this.#control = server
  }

  /**
   * After a roster change: the PeerIds of retired keys are forgotten; when this node's own key
   * is retired it leaves the network, once (its dials are refused from then on, and counted).
   */
  async #onRetirements(): Promise<void> {
    const wasRetired = this.#retirement.own !== undefined
    await this.#retirement.onRoster(this.host)
    if (wasRetired || this.#retirement.own === undefined) return
    this.#bootstrap.stop()
    await this.directory.stop()
  }

  /** Publishes this country's record from `contact.json` (own-record.ts); `publication` keeps the outcome. */
  publishOwnRecord(): Promise<{ seq: number; storedBy: number }> {
    return publishOwnRecord({
      dataDir: this.dataDir,
      config: this.config,
      identity: this.identity,
      host: this.host,
      directory: this.directory,
      ledger: this.ledger,
      log: this.log,
      status: this.publication,
      shutdown: this.#shutdown.signal,
    })
  }

  /**
   * Offers a roster chain (e.g. an amendment the operator just combined) to the running node:
   * verified from the trusted genesis, adopted when longer, then announced to every peer.
   */
  offerRoster(chain: Uint8Array[]): OfferOutcome {
    return this.#keeper.offer(chain)
  }

  countryOf(peer: PeerId): string | undefined {
    return this.roster.memberByPeerId(peer)?.country
  }

  health(): Health {
    return assembleHealth({
      config: this.config,
      peerId: this.identity.peerId.toString(),
      sealsHybrid: sealsHybrid(this.config, this.identity),
      roster: this.roster,
      host: this.host,
      ledger: this.ledger,
      outbox: this.outbox,
      receiver: this.receiver,
      cases: this.cases,
      witness: this.witness,
      alarm: this.alarm,
      attachments: this.attachments,
      cosignatures: this.cosignatures,
      guard: this.#guard,
      dhtRefused: this.#dhtRefused,
      frameBudget: this.#frameBudget,
      readPause: this.#readPause,
      peerRejections: this.#peerRejections,
      retirement: this.#retirement,
      publication: this.publication,
      startedAt: this.startedAt,
    })
  }

  /** Stops everything, at most STOP_TIMEOUT_MS for the network part; the ledger is always closed. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.log.info('node.stopping')
      this.#bootstrap.stop()
      this.#unstoredRetry.stop()
      this.#shutdown.abort()
      // long polls answer now, so their connections can close
      this.feed.close()
      if (this.#control !== undefined) {
        const server = this.#control
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      }
      if (this.#metricsServer !== undefined) {
        const server = this.#metricsServer
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      }
      this.#metrics?.detach()
      // the pager first: it reads the case book and writes to the ledger
      await this.duty.pager.stop()
      // the case book first: a change under way may still submit to the outbox
      await this.cases.stop()
      // pulls under way end; a chunk being written is renamed into place whole or not at all
      await this.attachments.stop()
      this.drills.stop()
      await this.outbox.stop()
      this.cosignatures.stop()
      const network = (async () => {
        await this.alarm.stop()
        await this.#sync.stop()
        await this.directory.stop()
        await this.host.stop()
      })().catch((err: unknown) =>
        // logged: the directory memory, the last checkpoint and the ledger's close come still
        this.log.error('node.network-stop-failed', { error: String((err as Error).message ?? err) }),
      )
      await Promise.race([network, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref())])
      await this.#memory.flush().catch(() => {})
      await this.witness
        .stop()
        .catch((err: unknown) => this.log.error('witness.stop-failed', { error: String(err) }))
      // a checkpoint covering everything, so an auditor's copy taken after a stop is complete
      if (this.ledger.size > (this.ledger.latestCheckpoint()?.size ?? 0)) {
        await this.ledger
          .checkpoint()
          .catch((err: unknown) => this.log.error('ledger.checkpoint-failed', { error: String(err) }))
      }
      // the views' index at the size stopped at, for the next start (none when this start never loaded one)
      await this.#snapshot.stopSaving()
      if (this.#snapshot.lastLoad !== undefined)
        await this.#snapshot
          .save()
          .catch((err: unknown) => this.log.error('snapshot.save-failed', { error: String(err) }))
      await this.ledger.close()
      this.log.info('node.stopped')
    })()
    return this.#stopping
  }
}
