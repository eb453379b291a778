import { join } from 'node:path'
import type { AbortOptions } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromEd25519PublicKey } from '@pocnet/crypto'
import { Directory, RosterSync, VerifiedRecords } from '@pocnet/directory'
import type { FrameBudget } from '@pocnet/protocol/reqresp'
import { attachmentsConfigOf } from '../attachments/config.ts'
import { keyInCase } from '../attachments/of-case.ts'
import { Attachments } from '../attachments/service.ts'
import { CaseBook } from '../casebook/index.ts'
import { clocksOf } from '../clock-config.ts'
import { frameBudgetOf, minCosigners, sealsHybrid } from '../config.ts'
import { ConnectionGuard } from '../connection-guard.ts'
import { DATA_DIR, MAX_CONNECTIONS_PER_MEMBER, READ_PAUSE } from '../constants.ts'
import { DeliveryReceiver, DOWNGRADE_GRACE_MS, type InboundMessage } from '../delivery.ts'
import { Drills } from '../drills/service.ts'
import { NodeError } from '../errors.ts'
import { EventFeed } from '../feed.ts'
import { createFrameBudget } from '../frame-budget.ts'
import { createHost, type Host } from '../host.ts'
import { IntakeDesk } from '../intake/desk.ts'
import { libp2pLogger } from '../libp2p-log.ts'
import { type Logger, LogThrottle } from '../log.ts'
import { MemberAddresses } from '../member-addresses.ts'
import { countDhtRecords } from '../metrics/dht-records.ts'
import type { NodeMetrics } from '../metrics/node-metrics.ts'
import { type Counterpart, Outbox } from '../outbox.ts'
import { PeerRejections } from '../peer-rejections.ts'
import { MemberReadPause } from '../read-pause.ts'
import { KeyRetirement } from '../retirement.ts'
import { EquivocationAlarm } from '../witness/alarm.ts'
import { CosignatureCollector } from '../witness/collector.ts'
import { MemberWitness } from '../witness/member-witness.ts'
import { FOREIGN_DHT_KEY } from './health.ts'
import type { OpenedDataDir } from './open-data.ts'
import { PublicationStatus } from './publication-status.ts'

export interface ServiceOptions {
  dataDir: string
  log: Logger
  caseClock?: () => number
  senderNotFoundTtlMs?: number
  downgradeGraceMs?: number
  /** The metrics registry, when config.json enables the endpoint: libp2p's metrics go into it. */
  metrics?: NodeMetrics
}

/** The network services of a node, made but not started (the host listens already). */
export interface NodeServices {
  host: Host
  directory: Directory
  outbox: Outbox
  receiver: DeliveryReceiver
  cases: CaseBook
  drills: Drills
  intake: IntakeDesk
  attachments: Attachments
  feed: EventFeed
  witness: MemberWitness
  alarm: EquivocationAlarm
  cosignatures: CosignatureCollector
  guard: ConnectionGuard
  dhtRefused: LogThrottle
  /** Bytes held in frames being read, on every protocol the node serves. */
  frameBudget: FrameBudget
  /** Members no longer read while over their frame share. */
  readPause: MemberReadPause
  peerRejections: PeerRejections
  sync: RosterSync
  retirement: KeyRetirement
  messageListeners: Set<(m: InboundMessage) => void>
  /** Records this node stores for the DHT now. */
  dhtRecords: () => Promise<number>
  /** How the publications of this node's own record ended. */
  publication: PublicationStatus
}

/**
 * The second phase of a start: the libp2p host with the connection guard and the roster gater, then the directory,
 * delivery, the outbox, the case book, roster sync and witnessing over it. When the witness
 * state cannot be opened the host is stopped and the ledger closed before the error.
 */
export async function createServices(
  { config, identity, mlDsaSigner, keeper, memory, ledger }: OpenedDataDir,
  opts: ServiceOptions,
): Promise<NodeServices> {
  const { dataDir, log } = opts
  const getRoster = () => keeper.state
  const retirement = new KeyRetirement({ identity, getRoster, log })
  // what a peer asked the DHT to store that pocnet never stores: counted, logged at most every 10 s
  const dhtRefused = new LogThrottle()
  // kad-dht's own /pk/ records and provider records under `dht-refused`, other keys apart
  const onForeign = (what: 'record' | 'provider' | 'key') => {
    const count = dhtRefused.hit(what === 'key' ? FOREIGN_DHT_KEY : 'all')
    if (count !== undefined) log.warn('dht.refused', { what, refusedSinceStart: count })
  }
  // refused directory records and roster exchanges: counted by reason, logged at most every 10 s per reason
  const peerRejections = new PeerRejections({
    log,
    countryOf: (peer) => getRoster().memberByPeerId(peer)?.country,
  })
  const countryOf = (peer: string) => getRoster().memberByPeerId(peerIdFromString(peer))?.country
  // a member holding much in frames being read is no longer read for a while (read-pause.ts)
  const share = frameBudgetOf(config).perMemberBytes
  const readPause = new MemberReadPause({
    heldBy: (peer) => frameBudget.heldBy(peer),
    pauseAtBytes: Math.floor(share * READ_PAUSE.pauseAtShare),
    resumeAtBytes: Math.floor(share * READ_PAUSE.resumeAtShare),
    minPauseMs: READ_PAUSE.minMs,
    maxPauseMs: READ_PAUSE.maxMs,
    log,
    countryOf,
  })
  const frameBudget = createFrameBudget(config, log, countryOf, readPause)
  // records verified once per roster version, by the DHT validator and the directory alike
  const verified = new VerifiedRecords()
  const memberAddresses = new MemberAddresses({ getRoster, memory, configured: config.bootstrap })
  // set once libp2p is made: a connection arriving before counts no established ones
  let started: Host | undefined
  // refusals logged per reason, not per peer or address: a non-member can take a fresh key per try
  const guard = new ConnectionGuard({
    isMemberAddress: (address) => memberAddresses.has(address),
    connectionsOf: (peer) => started?.getConnections(peer).length ?? 0,
    maxPerMember: config.connections?.maxPerMember ?? MAX_CONNECTIONS_PER_MEMBER,
    log,
  })
  let dhtDatastore: Parameters<typeof countDhtRecords>[0]
  const host = await createHost({
    identity,
    listen: config.listen,
    rules: { getRoster, memory, onForeign, onRejected: peerRejections.record, verified },
    guard,
    logger: libp2pLogger(log.child('libp2p')),
    refuseDial: () => retirement.refuseDial(),
    ...(opts.metrics !== undefined && { metrics: opts.metrics.libp2pMetrics(dataDir) }),
    onMemberConnection: (peer, maConn) => readPause.track(peer.toString(), maConn),
    onDhtDatastore: (datastore) => {
      dhtDatastore = datastore
    },
  })
  started = host
  host.addEventListener('connection:open', ({ detail: connection }) => {
    const member = getRoster().memberByPeerId(connection.remotePeer)
    if (member !== undefined) memberAddresses.observe(member.country, connection.remoteAddr)
  })
  const publication = new PublicationStatus({ log })
  const directory = new Directory({
    libp2p: host,
    dht: host.services.dht,
    identity,
    country: config.country,
    getRoster,
    memory,
    onRejected: peerRejections.record,
    frameBudget,
    verified,
    onRepublished: publication.onRepublished,
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
      ...(found.record.kemPublicKey === undefined ? {} : { kemPublicKey: found.record.kemPublicKey }),
      addresses: found.record.addresses,
    }
  }
  const limits = config.delivery
  const hybrid = sealsHybrid(config, identity)
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
    sealsHybrid: hybrid,
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
  // the case book gives the keys: each lives only in the case message that names its attachment
  const attachments: Attachments = new Attachments({
    dataDir,
    config: attachmentsConfigOf(config),
    ledger,
    host,
    getRoster,
    targetOf: async (country) => {
      const counterpart = await resolve(country)
      const peer = peerIdFromEd25519PublicKey(counterpart.signingPublicKey)
      const addrs = counterpart.addresses.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`))
      return { peer, target: addrs.length > 0 ? addrs : peer }
    },
    keyOf: (caseId, id): string | undefined => {
      try {
        return keyInCase(cases.get(caseId), id)
      } catch {
        return undefined
      }
    },
    timeoutMs: limits.readTimeoutMs,
    frameBudget,
    ...(opts.caseClock !== undefined && { now: opts.caseClock }),
    log: log.child('attachments'),
  })
  outbox.on('failed', ({ item, outcome }) => {
    const why =
      outcome.status === 'expired' ? 'expired undelivered' : `refused by ${item.to}: ${outcome.reason}`
    attachments
      .undelivered(item.messageId, why)
      .catch((err: unknown) => log.error('attachments.undelivered-failed', { error: String(err) }))
  })
  // listens to the outbox: a step it gives up on is taken back out of its case
  const cases: CaseBook = new CaseBook({
    country: config.country,
    ledger,
    outbox,
    feed,
    clocks: clocksOf(config),
    log: log.child('cases'),
    attachments,
    ...(opts.caseClock ? { now: () => new Date(opts.caseClock!()) } : {}),
  })
  // listens to the outbox too: the receipts of drills
  const drills = new Drills({
    country: config.country,
    config: config.drills,
    ledger,
    outbox,
    feed,
    getRoster,
    log: log.child('drills'),
  })
  // investigators' drafts; an approved one goes out through the case book like any request
  const intake = new IntakeDesk({
    ledger,
    openCase: (to, form, actor, key) => cases.openRequest(to, form, actor, key),
    feed,
    log: log.child('intake'),
    ...(opts.caseClock ? { now: () => new Date(opts.caseClock!()) } : {}),
  })
  const receiver = new DeliveryReceiver({
    host,
    identity,
    network: config.network,
    country: config.country,
    ledger,
    getRoster,
    keysOf: async (country) => {
      const found = await resolve(country).catch(() => undefined)
      if (found === undefined) return undefined
      const { boxPublicKey, kemPublicKey } = found
      return kemPublicKey === undefined ? { boxPublicKey } : { boxPublicKey, kemPublicKey }
    },
    downgradeRefusedFrom: () => {
      const since = directory.kemAdvertisedSince
      return hybrid && since !== undefined ? since + (opts.downgradeGraceMs ?? DOWNGRADE_GRACE_MS) : null
    },
    // a record stored here for the DHT raises the highest seq; one a lookup caches, its fetch time
    recordStampOf: (country) => `${memory.highestSeq(country)}/${memory.cached(country)?.fetchedAt ?? 0}`,
    ...(opts.senderNotFoundTtlMs !== undefined && { senderNotFoundTtlMs: opts.senderNotFoundTtlMs }),
    limits,
    log: log.child('delivery'),
    frameBudget,
    checkPayload: (opened, fromCountry) =>
      drills.check(opened, fromCountry) ?? cases.check(opened, fromCountry),
    onNotStored: (opened) => attachments.release(opened.messageIdHex),
    onMessage: (m, opened) => {
      cases
        .receive(m, opened)
        .catch((err: unknown) =>
          log.error('cases.receive-failed', { messageId: m.messageId, error: String(err) }),
        )
      drills.receive(m, opened)
      for (const listener of messageListeners) listener(m)
    },
  })
  const sync = new RosterSync({ libp2p: host, keeper, onRejected: peerRejections.record, frameBudget })
  const witnessLog = log.child('witness')
  const alarm = new EquivocationAlarm({
    host,
    ledger,
    feed,
    getRoster,
    network: config.network,
    country: config.country,
    log: witnessLog,
    frameBudget,
  })
  let witness: MemberWitness
  try {
    witness = await MemberWitness.open({
      host,
      identity,
      ...(mlDsaSigner !== undefined && { mlDsaSigner }),
      network: config.network,
      country: config.country,
      getRoster,
      dir: join(dataDir, DATA_DIR.witness),
      alarm,
      log: witnessLog,
      frameBudget,
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
  return {
    host,
    directory,
    outbox,
    receiver,
    cases,
    drills,
    intake,
    attachments,
    feed,
    witness,
    alarm,
    cosignatures,
    guard,
    dhtRefused,
    frameBudget,
    readPause,
    peerRejections,
    sync,
    retirement,
    messageListeners,
    dhtRecords: () => countDhtRecords(dhtDatastore),
    publication,
  }
}
