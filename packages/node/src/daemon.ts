import { mkdir, readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import { join } from 'node:path'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import { CLOCK_PRESETS } from '@pocnet/cases'
import { type NodeIdentity, readKeyFile, toHex } from '@pocnet/crypto'
import {
  type ContactDetails,
  Directory,
  DirectoryMemory,
  FileDirectoryStore,
  type OfferOutcome,
  RosterKeeper,
  type RosterState,
  RosterSync,
  readRosterChainFile,
  rotationVersion,
  verifyRosterChain,
  writeRosterChainFile,
} from '@pocnet/directory'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { CaseBook } from './casebook/index.ts'
import { minCosigners, type NodeConfig, readConfig } from './config.ts'
import { DATA_DIR, STOP_TIMEOUT_MS } from './constants.ts'
import { BootstrapDialer } from './daemon/bootstrap.ts'
import { assembleHealth, type Health } from './daemon/health.ts'
import { DeliveryReceiver, type InboundMessage } from './delivery.ts'
import { DataDirLockedError, DataFileError, NodeError } from './errors.ts'
import { EventFeed } from './feed.ts'
import { createHost, type Host } from './host.ts'
import { libp2pLogger } from './libp2p-log.ts'
import { createLogger, type Logger, LogThrottle } from './log.ts'
import { type Counterpart, Outbox } from './outbox.ts'
import { PeerRejections } from './peer-rejections.ts'
import { readRetiredKey, retiredKeyFile } from './retired-keys.ts'
import { KeyRetirement } from './retirement.ts'
import { EquivocationAlarm } from './witness/alarm.ts'
import { CosignatureCollector } from './witness/collector.ts'
import { MemberWitness } from './witness/member-witness.ts'

export interface DaemonOptions {
  dataDir: string
  passphrase: string
  log?: Logger
  /** The case clock (ms since the epoch), for drills and tests that move time; the wire always uses real time. */
  caseClock?: () => number
  /** How long a failed lookup of a sender's directory record is remembered (SENDER_NOT_FOUND_TTL_MS); for tests. */
  senderNotFoundTtlMs?: number
}

/** The operator's contact details as kept in `contact.json` (keys and addresses are filled in by the node). */
export type ContactFile = Omit<ContactDetails, 'boxPublicKey' | 'addresses'>

const PUBLISH_TIMEOUT_MS = 30_000

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
  readonly feed: EventFeed
  readonly witness: MemberWitness
  readonly alarm: EquivocationAlarm
  readonly cosignatures: CosignatureCollector
  readonly log: Logger
  readonly startedAt = Date.now()
  readonly #refusedConnections: LogThrottle
  readonly #dhtRefused: LogThrottle
  readonly #peerRejections: PeerRejections
  readonly #keeper: RosterKeeper
  readonly #sync: RosterSync
  readonly #memory: DirectoryMemory
  readonly #retirement: KeyRetirement
  readonly #messageListeners: Set<(m: InboundMessage) => void>
  /** Dials the bootstrap peers and remembered members every BOOTSTRAP_INTERVAL_MS. */
  readonly #bootstrap: BootstrapDialer
  /** Aborted by stop(): dials and the record's publication still under way end. */
  readonly #shutdown = new AbortController()
  #control: Server | undefined
  #stopping: Promise<void> | undefined

  private constructor(init: {
    dataDir: string
    config: NodeConfig
    identity: NodeIdentity
    ledger: Ledger
    host: Host
    directory: Directory
    outbox: Outbox
    receiver: DeliveryReceiver
    cases: CaseBook
    feed: EventFeed
    witness: MemberWitness
    alarm: EquivocationAlarm
    cosignatures: CosignatureCollector
    refusedConnections: LogThrottle
    dhtRefused: LogThrottle
    peerRejections: PeerRejections
    keeper: RosterKeeper
    sync: RosterSync
    memory: DirectoryMemory
    retirement: KeyRetirement
    messageListeners: Set<(m: InboundMessage) => void>
    log: Logger
  }) {
    this.dataDir = init.dataDir
    this.config = init.config
    this.identity = init.identity
    this.ledger = init.ledger
    this.host = init.host
    this.directory = init.directory
    this.outbox = init.outbox
    this.receiver = init.receiver
    this.cases = init.cases
    this.feed = init.feed
    this.witness = init.witness
    this.alarm = init.alarm
    this.cosignatures = init.cosignatures
    this.#refusedConnections = init.refusedConnections
    this.#dhtRefused = init.dhtRefused
    this.#peerRejections = init.peerRejections
    this.#keeper = init.keeper
    this.#sync = init.sync
    this.#memory = init.memory
    this.#retirement = init.retirement
    this.#messageListeners = init.messageListeners
    this.log = init.log
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

  get roster(): RosterState {
    return this.#keeper.state
  }

  static async start(opts: DaemonOptions): Promise<PocnetDaemon> {
    const { dataDir } = opts
    const log = opts.log ?? createLogger()
    const config = await readConfig(dataDir)
    const identity = await readKeyFile(join(dataDir, DATA_DIR.key), opts.passphrase)
    const rosterFile = join(dataDir, DATA_DIR.roster)
    const chain = await readDataFile(
      rosterFile,
      'ERR_ROSTER_FILE',
      'the roster chain',
      'copy the current roster.cbor from another member (check it with `pocnet roster verify <file>`) or restore it from a backup',
      () => readRosterChainFile(rosterFile),
    )
    const keeper = new RosterKeeper({ chain })
    const getRoster = () => keeper.state
    const self = getRoster().members.get(config.country)
    if (self === undefined || toHex(self.publicKey) !== toHex(identity.signingPublicKey)) {
      // `pocnet key rotate` ran, and the roster still gives the country the key it retired
      const rotationPending =
        self !== undefined &&
        (await readFile(retiredKeyFile(dataDir, self.publicKey)).then(
          () => true,
          () => false,
        ))
      throw new NodeError(
        'ERR_NOT_IN_ROSTER',
        rotationPending
          ? `this node's key ${toHex(identity.signingPublicKey)} is not yet ${config.country}'s roster key (the roster still gives the key \`pocnet key rotate\` retired): finish the rotation (\`pocnet roster propose --rotate member.json\`, signed and combined) and put the new roster.cbor in the data directory`
          : `this node's key is not the roster key of ${config.country}: check config.json "country" and roster.cbor`,
      )
    }
    if (getRoster().network !== config.network) {
      throw new NodeError(
        'ERR_NETWORK_MISMATCH',
        `roster is for network ${getRoster().network}, config says ${config.network}`,
      )
    }
    const memoryFile = join(dataDir, DATA_DIR.directoryMemory)
    const memory = await readDataFile(
      memoryFile,
      'ERR_DIRECTORY_FILE',
      "the node's memory of directory records",
      'move it aside and start again (the node relearns the records from its peers; the highest record seq seen per country, which refuses replayed old records, starts again from them) or restore it from a backup',
      () => DirectoryMemory.open(new FileDirectoryStore(memoryFile)),
    )
    await mkdir(join(dataDir, DATA_DIR.ledger), { recursive: true, mode: 0o700 })
    let ledger: Ledger
    try {
      let upgradeLogged = -1
      ledger = await Ledger.open({
        dir: join(dataDir, DATA_DIR.ledger),
        identity,
        origin: checkpointOrigin(config.network, config.country),
        checkpointEvery: { entries: config.checkpoint.everyEntries, ms: config.checkpoint.everyMs },
        onCheckpointError: (err) => log.error('ledger.checkpoint-failed', { error: err.message }),
        // a key the roster rotated in takes the ledger over, with its history (docs/operations.md)
        keyRotation: async (oldKey, newKey) => {
          const version = rotationVersion(verifyRosterChain(chain), config.country, oldKey, newKey)
          if (version === undefined) return undefined
          // kept by `pocnet key rotate`: it signs the handover and its message bodies stay readable
          const previous = await readRetiredKey(dataDir, oldKey, opts.passphrase)
          log.info('ledger.key-rotated', {
            from: toHex(oldKey),
            to: toHex(newKey),
            rosterVersion: version,
            oldKeyAtHand: previous !== undefined,
          })
          return { rosterVersion: version, ...(previous !== undefined && { previous }) }
        },
        // a ledger from before format 2 is rewritten into tiles once, before the node serves: say so
        onUpgrade: ({ tiled, total }) => {
          if (upgradeLogged >= 0 && tiled < total && tiled - upgradeLogged < 100_000) return
          upgradeLogged = tiled
          log.info('ledger.upgrading', { format: 2, entriesInTiles: tiled, entriesToTile: total })
        },
      })
    } catch (err) {
      if (/lock/i.test(String((err as Error).cause ?? err))) throw new DataDirLockedError(dataDir)
      if (err instanceof NodeError) throw err
      const { message, cause, code } = err as Error & { code?: unknown }
      // LevelDB's own errors: a damaged database (the ledger's refusals say what is wrong themselves)
      const damaged = typeof code === 'string' && code.startsWith('LEVEL_')
      throw new NodeError(
        'ERR_LEDGER_OPEN',
        `${join(dataDir, DATA_DIR.ledger)}: the ledger cannot be opened (${message}${cause instanceof Error ? `: ${cause.message}` : ''})${damaged ? ': `pocnet ledger verify` tells what is damaged; restore the data directory from a backup (`pocnet restore --force` keeps this one aside)' : ''}`,
      )
    }
    if (ledger.keysWithSealedBlobs > 0)
      log.warn('ledger.old-blobs-sealed', {
        keys: ledger.keysWithSealedBlobs,
        hint: 'a key rotation was made without the old key: the message bodies sealed under it cannot be opened (their entries are kept and verify)',
      })
    const retirement = new KeyRetirement({ identity, getRoster, log })
    // at most one gater.refused line every 10 s in all, not per peer: a non-member can take a fresh key per try
    const refusedConnections = new LogThrottle()
    // what a peer asked the DHT to store that pocnet never stores: counted, logged at most every 10 s
    const dhtRefused = new LogThrottle()
    const onForeign = (what: 'record' | 'provider') => {
      const count = dhtRefused.hit('all')
      if (count !== undefined) log.warn('dht.refused', { what, refusedSinceStart: count })
    }
    // refused directory records and roster exchanges: counted by reason, logged at most every 10 s per reason
    const peerRejections = new PeerRejections({
      log,
      countryOf: (peer) => getRoster().memberByPeerId(peer)?.country,
    })
    const host = await createHost({
      identity,
      listen: config.listen,
      rules: { getRoster, memory, onForeign, onRejected: peerRejections.record },
      logger: libp2pLogger(log.child('libp2p')),
      refuseDial: () => retirement.refuseDial(),
      onRefused: (peer, stage) => {
        const count = refusedConnections.hit('all')
        if (count !== undefined)
          log.warn('gater.refused', { peer: peer.toString(), stage, refusedSinceStart: count })
      },
    })
    const directory = new Directory({
      libp2p: host,
      dht: host.services.dht,
      identity,
      country: config.country,
      getRoster,
      memory,
      onRejected: peerRejections.record,
    })
    const resolve = async (country: string, options: AbortOptions = {}): Promise<Counterpart> => {
      const member = getRoster().members.get(country)
      if (member === undefined)
        throw new NodeError('ERR_NOT_A_MEMBER', `${country} is not a member of the roster`)
      const found = await directory.lookup(country, options)
      return {
        country,
        signingPublicKey: member.publicKey,
        boxPublicKey: found.record.boxPublicKey,
        addresses: found.record.addresses,
      }
    }
    const limits = config.delivery
    const messageListeners = new Set<(m: InboundMessage) => void>()
    const feed = new EventFeed({
      log: log.child('notify'),
      ...(config.notifyCommand ? { notifyCommand: config.notifyCommand } : {}),
    })
    const outbox = new Outbox({
      host,
      identity,
      network: config.network,
      ledger,
      getRoster,
      resolve,
      limits,
      policy: config.outbox,
      log: log.child('outbox'),
    })
    outbox.on('failed', ({ item, outcome }) =>
      feed.publish({
        type: 'delivery-failed',
        caseId: item.caseId,
        at: new Date().toISOString(),
        summary: `message to ${item.to} ${outcome.status === 'expired' ? 'expired undelivered' : `refused: ${outcome.reason}`}`,
        detail: { messageId: item.messageId, to: item.to },
      }),
    )
    // listens to the outbox: a step it gives up on is taken back out of its case
    const cases = new CaseBook({
      country: config.country,
      ledger,
      outbox,
      feed,
      clocks: CLOCK_PRESETS[config.clockPreset],
      log: log.child('cases'),
      ...(opts.caseClock ? { now: () => new Date(opts.caseClock!()) } : {}),
    })
    const receiver = new DeliveryReceiver({
      host,
      identity,
      network: config.network,
      country: config.country,
      ledger,
      getRoster,
      boxKeyOf: async (country) => (await resolve(country).catch(() => undefined))?.boxPublicKey,
      // a record stored here for the DHT raises the highest seq; one a lookup caches, its fetch time
      recordStampOf: (country) => `${memory.highestSeq(country)}/${memory.cached(country)?.fetchedAt ?? 0}`,
      ...(opts.senderNotFoundTtlMs !== undefined && { senderNotFoundTtlMs: opts.senderNotFoundTtlMs }),
      limits,
      log: log.child('delivery'),
      checkPayload: (opened, fromCountry) => cases.check(opened, fromCountry),
      onMessage: (m, opened) => {
        cases
          .receive(m, opened)
          .catch((err: unknown) =>
            log.error('cases.receive-failed', { messageId: m.messageId, error: String(err) }),
          )
        for (const listener of messageListeners) listener(m)
      },
    })
    const sync = new RosterSync({ libp2p: host, keeper, onRejected: peerRejections.record })
    const witnessLog = log.child('witness')
    const alarm = new EquivocationAlarm({
      host,
      ledger,
      feed,
      getRoster,
      network: config.network,
      country: config.country,
      log: witnessLog,
    })
    let witness: MemberWitness
    try {
      witness = await MemberWitness.open({
        host,
        identity,
        network: config.network,
        country: config.country,
        getRoster,
        dir: join(dataDir, DATA_DIR.witness),
        alarm,
        log: witnessLog,
      })
    } catch (err) {
      // libp2p listens and the ledger is open: left so, the process would never end
      await Promise.resolve()
        .then(() => host.stop())
        .catch(() => {})
      await ledger.close().catch(() => {})
      throw new NodeError(
        'ERR_WITNESS_OPEN',
        `${join(dataDir, DATA_DIR.witness)}: the witness state cannot be opened (${(err as Error).message})`,
      )
    }
    const cosignatures = new CosignatureCollector({
      host,
      ledger,
      getRoster,
      network: config.network,
      country: config.country,
      minCosigners: (roster) => minCosigners(config, Math.max(0, roster.members.size - 1)),
      log: witnessLog,
    })
    const daemon = new PocnetDaemon({
      dataDir,
      config,
      identity,
      ledger,
      host,
      directory,
      outbox,
      receiver,
      cases,
      feed,
      witness,
      alarm,
      cosignatures,
      refusedConnections,
      dhtRefused,
      peerRejections,
      keeper,
      sync,
      memory,
      retirement,
      messageListeners,
      log,
    })
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
    // against the whole history.
    await this.outbox.start()
    await this.cases.start()
    await this.receiver.start()
    await this.directory.start()
    await this.#sync.start()
    await this.alarm.start(await this.witness.evidence())
    await this.witness.start()
    this.cosignatures.start()
    this.#bootstrap.start()
    void this.publishOwnRecord().catch((err: unknown) => {
      // a publication the stop cut short has not failed
      if (!this.#shutdown.signal.aborted)
        this.log.warn('directory.publish-failed', { error: String((err as Error).message ?? err) })
    })
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

  /** Publishes this country's record from `contact.json`, with the node's box key and addresses. */
  async publishOwnRecord(): Promise<{ seq: number; storedBy: number }> {
    const contact = JSON.parse(await readFile(join(this.dataDir, DATA_DIR.contact), 'utf8')) as ContactFile
    const addresses = this.host
      .getMultiaddrs()
      .map((a) => a.toString())
      .filter((a) => !a.includes('/ip4/0.0.0.0'))
    const result = await this.directory.publish(
      { ...contact, boxPublicKey: this.identity.boxPublicKey, addresses },
      { signal: AbortSignal.any([AbortSignal.timeout(PUBLISH_TIMEOUT_MS), this.#shutdown.signal]) },
    )
    await this.ledger.append({
      kind: 'directory-changed',
      actor: 'node',
      counterpart: this.config.country,
      detail: { seq: result.record.seq, storedBy: result.storedBy },
    })
    this.log.info('directory.published', { seq: result.record.seq, storedBy: result.storedBy })
    return { seq: result.record.seq, storedBy: result.storedBy }
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
      roster: this.roster,
      host: this.host,
      ledger: this.ledger,
      outbox: this.outbox,
      receiver: this.receiver,
      witness: this.witness,
      alarm: this.alarm,
      cosignatures: this.cosignatures,
      refusedConnections: this.#refusedConnections,
      dhtRefused: this.#dhtRefused,
      peerRejections: this.#peerRejections,
      retirement: this.#retirement,
      startedAt: this.startedAt,
    })
  }

  /** Stops everything, at most STOP_TIMEOUT_MS for the network part; the ledger is always closed. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.log.info('node.stopping')
      this.#bootstrap.stop()
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
      // the case book first: a change under way may still submit to the outbox
      await this.cases.stop()
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
      await this.ledger.close()
      this.log.info('node.stopped')
    })()
    return this.#stopping
  }
}

/**
 * Reads one of the node's files; any failure but the node's own errors (a damaged or
 * hand-edited file) stops the start naming the file, what it holds and what to do.
 */
async function readDataFile<T>(
  path: string,
  code: string,
  what: string,
  remedy: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read()
  } catch (err) {
    if (err instanceof NodeError) throw err
    throw new DataFileError(code, path, what, (err as Error).message, remedy)
  }
}
