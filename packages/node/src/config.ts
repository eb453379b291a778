import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { CLOCK_PRESETS, type ClockPresetName } from '@pocnet/cases'
import { type NodeIdentity, writeFileAtomic } from '@pocnet/crypto'
import { COUNTRY_CODE_RULE, isCountryCode, isNetworkId, NETWORK_ID_RULE } from '@pocnet/protocol'
import { type AttachmentsConfig, attachmentsConfigProblems } from './attachments/config.ts'
import { answerDeadlinesProblems, type ClockSettings } from './clock-config.ts'
import { DEFAULT_FRAME_BUDGET } from './constants.ts'
import { type DrillsConfig, drillsConfigProblems } from './drills/config.ts'
import { type EscalationConfig, escalationProblems } from './duty/ladder.ts'
import { ConfigError, type ConfigProblem } from './errors.ts'
import { type MetricsConfig, metricsConfigProblems } from './metrics/listen.ts'

/** The node's settings: `<dataDir>/config.json`, written by `pocnet init`, edited by operators. */
export interface NodeConfig {
  version: 1
  /** Network id: names the federation; part of every envelope and checkpoint origin. */
  network: string
  /** This node's country, ISO 3166-1 alpha-2. */
  country: string
  /** libp2p listen multiaddrs. */
  listen: string[]
  /** Multiaddrs (with /p2p/<peerId>) of members to dial at start. */
  bootstrap: string[]
  delivery: {
    /** Largest envelope accepted or sent, bytes. */
    maxEnvelopeBytes: number
    /** How long a peer may take to send its envelope or its receipt. */
    readTimeoutMs: number
    /** How far ahead of our clock a message's creation time may be. */
    clockSkewMs: number
    /**
     * How old a message may be on arrival. A message keeps its creation time across the
     * sender's retries, so this must exceed the sender's outbox expiry.
     */
    maxAgeMs: number
    /** Envelopes accepted from one peer per minute before "rate limited". */
    perPeerPerMinute: number
  }
  outbox: {
    initialBackoffMs: number
    maxBackoffMs: number
    /** Give up on a message this long after it was queued. */
    expiryMs: number
  }
  checkpoint: { everyEntries: number; everyMs: number }
  /**
   * Bytes held in frames being read, on every protocol this node serves: at most `perMemberBytes`
   * for one member, `totalBytes` for all; a frame that would pass either is refused at once.
   * Absent: DEFAULT_FRAME_BUDGET (64 MiB in all, 16 MiB per member).
   */
  frameBudget?: { totalBytes: number; perMemberBytes: number }
  /**
   * Limits on connections. `maxPerMember`: established connections one member may hold with this
   * node at once, both directions together (MAX_CONNECTIONS_PER_MEMBER, 4, when absent).
   */
  connections?: { maxPerMember: number }
  /** Deadline settings for case clocks: a preset of @pocnet/cases (configuration, never law). */
  clockPreset: ClockPresetName
  /**
   * This node's own answer deadlines, in minutes per request type and urgency with a `default` row
   * (clock-config.ts); absent: the preset's.
   */
  answerDeadlineMinutes?: ClockSettings['answerDeadlineMinutes']
  /**
   * The witnessing policy: how many distinct other members should cosign each checkpoint.
   * Absent: a majority of the other members (witnessPolicy). Never blocks anything; `status` says
   * whether the latest checkpoint meets it.
   */
  witness?: { minCosigners: number }
  /**
   * Per urgency, who is paged as a received request stays unacknowledged (duty/ladder.ts). Absent,
   * or an urgency left out: the officer on duty on arrival, the backup at half the acknowledgement
   * deadline, the supervisor at the deadline.
   */
  escalation?: EscalationConfig
  /** A command run on events (new request, deadline near or missed, delivery failed, equivocation), event JSON on stdin. */
  notifyCommand?: string
  /**
   * Hybrid post-quantum sealing (docs/protocol.md §5). Absent or true: the node's record advertises
   * its X-Wing key, it seals hybrid to every country whose record advertises one, and refuses a
   * classical envelope from such a country. false: it publishes no X-Wing key and seals classically,
   * as software before hybrid sealing did (for a federation still upgrading its nodes).
   */
  hybridSealing?: boolean
  /** Reachability drills: whether this node takes part, and the schedule of its rounds (docs/operations.md). */
  drills?: DrillsConfig
  /** The Prometheus / OpenMetrics endpoint (metrics/listen.ts); absent: none, no port opened. */
  metrics?: MetricsConfig
  /** Caps on attachments and the quota for received ones (attachments/config.ts); each absent key at its default. */
  attachments?: Partial<AttachmentsConfig>
}

/** Whether this node seals hybrid and advertises its X-Wing key: configured so, and its key has one. */
export function sealsHybrid(config: Pick<NodeConfig, 'hybridSealing'>, identity: NodeIdentity): boolean {
  return config.hybridSealing !== false && identity.kem !== undefined
}

/**
 * Cosignatures of distinct other members the latest checkpoint should carry: the configured
 * number, or by default a majority of the other members (⌊n/2⌋ + 1 of n, at least 1 when there
 * are any): one country cannot vouch alone, yet a minority of members down or unreachable does not
 * leave the ledger short. Capped at the number of other members.
 */
export function minCosigners(config: Pick<NodeConfig, 'witness'>, otherMembers: number): number {
  const wanted = config.witness?.minCosigners ?? Math.floor(otherMembers / 2) + 1
  return Math.min(wanted, otherMembers)
}

/** The frame budget in force: the configured one, else DEFAULT_FRAME_BUDGET. */
export function frameBudgetOf(config: Pick<NodeConfig, 'frameBudget'>): {
  totalBytes: number
  perMemberBytes: number
} {
  return config.frameBudget ?? { ...DEFAULT_FRAME_BUDGET }
}

/** Bytes a length prefix adds to a frame at most (an unsigned varint of a safe integer). */
const MAX_PREFIX_BYTES = 8

export const CONFIG_FILE = 'config.json'

export function defaultConfig(network: string, country: string): NodeConfig {
  return {
    version: 1,
    network,
    country,
    listen: ['/ip4/0.0.0.0/tcp/4001'],
    bootstrap: [],
    delivery: {
      maxEnvelopeBytes: 1024 * 1024,
      readTimeoutMs: 10_000,
      clockSkewMs: 5 * 60_000,
      maxAgeMs: 8 * 24 * 3600_000,
      perPeerPerMinute: 6000,
    },
    outbox: { initialBackoffMs: 500, maxBackoffMs: 60_000, expiryMs: 7 * 24 * 3600_000 },
    checkpoint: { everyEntries: 1000, everyMs: 60_000 },
    clockPreset: 'pocnet-default',
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Checks an untrusted parsed config; returns the config or every problem found. */
export function validateConfig(raw: unknown): { config: NodeConfig } | { problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  if (!isObject(raw)) return { problems: [{ path: '(root)', message: 'must be a JSON object' }] }
  if (raw.version !== 1) problems.push({ path: 'version', message: 'must be 1' })
  if (!isNetworkId(raw.network)) {
    problems.push({ path: 'network', message: `must be ${NETWORK_ID_RULE}` })
  }
  if (!isCountryCode(raw.country)) {
    problems.push({ path: 'country', message: `must be ${COUNTRY_CODE_RULE}, e.g. "FR"` })
  }
  for (const key of ['listen', 'bootstrap'] as const) {
    const v = raw[key]
    if (!Array.isArray(v)) {
      problems.push({ path: key, message: 'must be a list of multiaddr strings, each starting with "/"' })
      continue
    }
    for (const [i, a] of v.entries()) {
      const problem = multiaddrProblem(a)
      if (problem !== undefined) problems.push({ path: `${key}[${i}]`, message: problem })
    }
  }
  const positive = (section: string, fields: string[]) => {
    const s = raw[section]
    if (!isObject(s)) {
      problems.push({ path: section, message: 'must be an object' })
      return
    }
    for (const f of fields) {
      const v = s[f]
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
        problems.push({ path: `${section}.${f}`, message: 'must be a positive whole number' })
      }
    }
  }
  positive('delivery', ['maxEnvelopeBytes', 'readTimeoutMs', 'clockSkewMs', 'maxAgeMs', 'perPeerPerMinute'])
  positive('outbox', ['initialBackoffMs', 'maxBackoffMs', 'expiryMs'])
  positive('checkpoint', ['everyEntries', 'everyMs'])
  if (raw.frameBudget !== undefined) frameBudgetProblems(raw.frameBudget, raw.delivery, problems)
  if (typeof raw.clockPreset !== 'string' || !Object.hasOwn(CLOCK_PRESETS, raw.clockPreset)) {
    problems.push({ path: 'clockPreset', message: `must be one of ${Object.keys(CLOCK_PRESETS).join(', ')}` })
  }
  if (raw.answerDeadlineMinutes !== undefined)
    problems.push(...answerDeadlinesProblems(raw.answerDeadlineMinutes))
  if (raw.witness !== undefined) {
    const w = raw.witness
    if (!isObject(w) || Object.keys(w).some((k) => k !== 'minCosigners'))
      problems.push({ path: 'witness', message: 'must be an object with only "minCosigners"' })
    else if (
      typeof w.minCosigners !== 'number' ||
      !Number.isSafeInteger(w.minCosigners) ||
      w.minCosigners < 0
    )
      problems.push({ path: 'witness.minCosigners', message: 'must be a whole number, 0 or more' })
  }
  if (raw.connections !== undefined) {
    const c = raw.connections
    if (!isObject(c) || Object.keys(c).some((k) => k !== 'maxPerMember'))
      problems.push({ path: 'connections', message: 'must be an object with only "maxPerMember"' })
    else if (
      typeof c.maxPerMember !== 'number' ||
      !Number.isSafeInteger(c.maxPerMember) ||
      c.maxPerMember < 1
    )
      problems.push({ path: 'connections.maxPerMember', message: 'must be a whole number, 1 or more' })
  }
  if (raw.escalation !== undefined) problems.push(...escalationProblems(raw.escalation))
  if (raw.hybridSealing !== undefined && typeof raw.hybridSealing !== 'boolean') {
    problems.push({ path: 'hybridSealing', message: 'must be true or false when present' })
  }
  if (
    raw.notifyCommand !== undefined &&
    (typeof raw.notifyCommand !== 'string' || raw.notifyCommand === '')
  ) {
    problems.push({ path: 'notifyCommand', message: 'must be a non-empty command line when present' })
  }
  if (raw.drills !== undefined) drillsConfigProblems(raw.drills, raw.country, problems)
  if (raw.metrics !== undefined) problems.push(...metricsConfigProblems(raw.metrics))
  if (raw.attachments !== undefined) problems.push(...attachmentsConfigProblems(raw.attachments))
  return problems.length > 0 ? { problems } : { config: raw as unknown as NodeConfig }
}

/**
 * What is wrong with a `frameBudget` section: both sizes positive whole numbers, a member's share
 * no more than the total, and at least one whole envelope of the largest size accepted, or such an
 * envelope could never arrive.
 */
function frameBudgetProblems(budget: unknown, delivery: unknown, problems: ConfigProblem[]): void {
  const keys = ['totalBytes', 'perMemberBytes']
  if (!isObject(budget) || Object.keys(budget).some((k) => !keys.includes(k))) {
    problems.push({
      path: 'frameBudget',
      message: 'must be an object with only "totalBytes" and "perMemberBytes"',
    })
    return
  }
  let valid = true
  for (const key of keys) {
    const v = budget[key]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      problems.push({ path: `frameBudget.${key}`, message: 'must be a positive whole number (bytes)' })
      valid = false
    }
  }
  if (!valid) return
  const { totalBytes, perMemberBytes } = budget as { totalBytes: number; perMemberBytes: number }
  if (perMemberBytes > totalBytes)
    problems.push({
      path: 'frameBudget.perMemberBytes',
      message: `must be at most frameBudget.totalBytes (${totalBytes})`,
    })
  const maxEnvelopeBytes = isObject(delivery) ? delivery.maxEnvelopeBytes : undefined
  if (typeof maxEnvelopeBytes === 'number' && perMemberBytes < maxEnvelopeBytes + MAX_PREFIX_BYTES)
    problems.push({
      path: 'frameBudget.perMemberBytes',
      message: `must be at least delivery.maxEnvelopeBytes + ${MAX_PREFIX_BYTES} (${maxEnvelopeBytes + MAX_PREFIX_BYTES}), or the largest envelope could never arrive`,
    })
}

export async function readConfig(dataDir: string): Promise<NodeConfig> {
  const file = join(dataDir, CONFIG_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(file, [
      {
        path: '(file)',
        message: code === 'ENOENT' ? 'not found: run `pocnet init` first' : `unreadable (${code})`,
      },
    ])
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: `not valid JSON: ${(err as Error).message}` }])
  }
  const result = validateConfig(raw)
  if ('problems' in result) throw new ConfigError(file, result.problems)
  return result.config
}

export async function writeConfig(dataDir: string, config: NodeConfig): Promise<void> {
  await writeFileAtomic(
    join(dataDir, CONFIG_FILE),
    new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
  )
}

/** Why `value` is not a multiaddr libp2p can use, or undefined when it is one. */
function multiaddrProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/'))
    return 'must be a multiaddr string starting with "/", e.g. "/ip4/192.0.2.1/tcp/4001"'
  try {
    multiaddr(value)
    return undefined
  } catch (err) {
    return `is not a multiaddr (${(err as Error).message})`
  }
}
