import { join } from 'node:path'
import { readConfig, writeConfig } from '@pocnet/node'
import { directoryRoutes } from '@pocnet/node/client'
import {
  auditDelivery,
  createFederation,
  type Federation,
  type FederationNode,
  federationLogs,
  health,
  inbox,
  killNode,
  NamespaceNetwork,
  netnsUnavailable,
  outbox,
  removeLeftoverNamespaces,
  runCli,
  spawnNode,
  stopNode,
  submitMessages,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

// Issue 17 item 4: three daemons, each in its own network namespace, joined by veth pairs to a
// bridge in a hub namespace. Faults: a partition, a kill -9, an address change, a member offline
// past the retry back-off. After each is healed, every message sent during it is delivered once,
// the roster and directory records converge; at the end every ledger verifies.
const COUNTRIES = ['AA', 'BB', 'CC']
/** A short back-off, so "offline longer than the back-off" takes seconds, not minutes. */
const BACKOFF = { initialBackoffMs: 200, maxBackoffMs: 1000 }
/** Retries a message has had once its back-off reached the ceiling and waited there once. */
const ATTEMPTS_PAST_CEILING = Math.ceil(Math.log2(BACKOFF.maxBackoffMs / BACKOFF.initialBackoffMs)) + 2
/** Messages sent from one node to another during one fault. */
const PER_PAIR = 8
/** Failure guards only, never performance bounds. */
const CONVERGE_TIMEOUT_MS = 120_000
// a cut-off node's lookups may each wait out the DHT's and a peer's deadline before the attempt fails
const FAILED_ATTEMPT_TIMEOUT_MS = 120_000

const unavailable = netnsUnavailable()
if (unavailable !== undefined) console.warn(`faults-netns: skipped: ${unavailable}`)

interface Figure {
  fault: string
  messages: number
  convergeMs: number
}

describe.skipIf(unavailable !== undefined)('faults in real network namespaces', () => {
  // set by beforeAll; afterAll and the failure hook also run when it failed half-way
  let net: NamespaceNetwork
  let fed: Federation
  /** Every message sent, by "<from>><to>". */
  const sent = new Map<string, Set<string>>()
  /** Message ids a receiver's inbox listed more than once. */
  const duplicates = new Set<string>()
  const figures: Figure[] = []

  const node = (country: string): FederationNode => fed.node(country)
  const listenAddress = (n: FederationNode) => `/ip4/${net.member(n.country).address}/tcp/${n.port}`
  const start = (n: FederationNode) => spawnNode(n, { launcher: net.launcher(n.country) })

  /** Sends `count` messages, durable at the sender when this returns; returns the ids. */
  async function send(from: string, to: string, count = PER_PAIR): Promise<string[]> {
    const queued = await submitMessages(node(from), { to, count, concurrency: 4 })
    const ids = queued.map((q) => q.messageId)
    const key = `${from}>${to}`
    if (!sent.has(key)) sent.set(key, new Set())
    for (const id of ids) sent.get(key)!.add(id)
    return ids
  }

  /** Waits until each of `ids` at `from` was tried at least `attempts` times, and failed. */
  async function waitForFailedAttempts(from: string, ids: string[], attempts = 1): Promise<void> {
    const wanted = new Set(ids)
    await waitFor(
      async () => {
        const items = (await outbox(node(from))).filter((i) => wanted.has(i.messageId))
        return (
          items.length === wanted.size && items.every((i) => i.attempts >= attempts && i.lastError !== null)
        )
      },
      {
        timeoutMs: FAILED_ATTEMPT_TIMEOUT_MS,
        intervalMs: 250,
        description: `${from}'s ${ids.length} messages to have failed ${attempts} attempt(s)`,
      },
    )
  }

  /** What has not converged yet: outboxes, deliveries, roster versions, directory records. */
  async function outstanding(): Promise<string[]> {
    const left: string[] = []
    const running = fed.nodes
    for (const n of running) {
      const depth = (await outbox(n)).length
      if (depth > 0) left.push(`${n.country}'s outbox holds ${depth}`)
    }
    for (const to of running) {
      const seen = new Map<string, number>()
      for (const m of await inbox(to))
        if (m.messageId !== undefined) seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1)
      for (const [id, times] of seen) if (times > 1) duplicates.add(id)
      for (const from of running) {
        const ids = sent.get(`${from.country}>${to.country}`) ?? new Set()
        const missing = [...ids].filter((id) => !seen.has(id)).length
        if (missing > 0) left.push(`${to.country} misses ${missing} from ${from.country}`)
      }
    }
    const versions = new Set(await Promise.all(running.map(async (n) => (await health(n)).rosterVersion)))
    if (versions.size > 1) left.push(`roster versions ${[...versions].join(', ')}`)
    // what each node would use to reach each other member: its lookup, as `pocnet directory show`
    const lookupSeq = async (holder: FederationNode, country: string) =>
      (await holder.client.call(directoryRoutes.lookup, { params: { country } })).record.seq
    for (const owner of running) {
      const own = await lookupSeq(owner, owner.country)
      for (const holder of running) {
        if (holder === owner) continue
        const held = await lookupSeq(holder, owner.country)
        if (held !== own)
          left.push(`${holder.country} holds ${owner.country}'s record seq ${held}, not ${own}`)
      }
    }
    return left
  }

  /** Waits for convergence after a fault healed at `healedAt`, and notes the figure. */
  async function converge(fault: string, messages: number, healedAt: number): Promise<void> {
    await waitFor(
      async () => {
        const left = await outstanding()
        if (left.length > 0) throw new Error(left.join('; '))
        return true
      },
      { timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 500, description: `convergence after ${fault}` },
    )
    figures.push({ fault, messages, convergeMs: Date.now() - healedAt })
    expect([...duplicates]).toEqual([])
  }

  beforeAll(async () => {
    await removeLeftoverNamespaces()
    net = await NamespaceNetwork.create(COUNTRIES)
    fed = await createFederation({
      countries: COUNTRIES,
      configure: (c) => ({ ...c, outbox: { ...c.outbox, ...BACKOFF } }),
    })
    // each node listens on its namespace's address and knows the others' there
    for (const n of fed.nodes) {
      const config = await readConfig(n.dataDir)
      const bootstrap = fed.nodes.filter((o) => o !== n).map((o) => `${listenAddress(o)}/p2p/${o.peerId}`)
      await writeConfig(n.dataDir, { ...config, listen: [listenAddress(n)], bootstrap })
    }
    await Promise.all(fed.nodes.map(start))
    for (const from of fed.nodes)
      for (const to of fed.nodes) if (from !== to) await waitUntilReachable(from, to)
  })

  afterAll(async () => {
    // the daemons first: a namespace a process still runs in outlives its name
    await fed?.cleanup()
    await net?.destroy()
  })

  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      if (fed) console.error(await federationLogs(fed.nodes))
    })
  })

  it('a partition: AA cut off while messages go both ways and the roster changes, then rejoined', async () => {
    await net.cut('AA')
    const batches = await Promise.all([
      send('AA', 'BB'),
      send('AA', 'CC'),
      send('BB', 'AA'),
      send('CC', 'AA'),
    ])
    await Promise.all([
      waitForFailedAttempts('AA', [...batches[0], ...batches[1]]),
      waitForFailedAttempts('BB', batches[2]),
      waitForFailedAttempts('CC', batches[3]),
    ])
    // the roster moves on without AA: BB and CC raise the threshold to 3
    const bb = node('BB')
    const proposal = join(fed.baseDir, 'threshold-3.json')
    await cliOk(bb, ['roster', 'propose', '--threshold', '3', '--out', proposal])
    const signatures: string[] = []
    for (const signer of [bb, node('CC')]) {
      const signature = join(fed.baseDir, `${signer.country}-threshold-3.sig`)
      await cliOk(signer, ['roster', 'sign', proposal, '--out', signature])
      signatures.push('--sig', signature)
    }
    await cliOk(bb, ['roster', 'combine', proposal, ...signatures])
    await cliOk(bb, ['roster', 'push'])
    await waitFor(async () => (await health(node('CC'))).rosterVersion === 1, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'CC to adopt roster version 1',
    })
    expect((await health(node('AA'))).rosterVersion).toBe(0)

    await net.join('AA')
    await converge('partition (AA cut off; roster changed meanwhile)', 4 * PER_PAIR, Date.now())
    expect((await health(node('AA'))).rosterVersion).toBe(1)
  })

  it('a kill -9: BB killed just after messages to and from it were sent, then restarted', async () => {
    const bb = node('BB')
    await Promise.all([send('BB', 'CC'), send('AA', 'BB')])
    const status = await killNode(bb)
    expect(status).toEqual({ code: null, signal: 'SIGKILL' })
    const whileDead = await send('CC', 'BB')
    await waitForFailedAttempts('CC', whileDead)
    const restartedAt = Date.now()
    await start(bb)
    await converge('kill -9 (BB) and restart', 3 * PER_PAIR, restartedAt)
  })

  it('an address change: CC moves to a new address and its record reaches the others', async () => {
    const cc = node('CC')
    const oldAddress = net.member('CC').address
    const newAddress = `${net.subnet}.103`
    const oldSeq = (await cc.client.call(directoryRoutes.lookup, { params: { country: 'CC' } })).record.seq
    expect(await stopNode(cc)).toEqual({ code: 0, signal: null })
    const batches = await Promise.all([send('AA', 'CC'), send('BB', 'CC')])
    await Promise.all([waitForFailedAttempts('AA', batches[0]), waitForFailedAttempts('BB', batches[1])])
    // the operator moves the node: the new address in the namespace and in its config
    await net.changeAddress('CC', newAddress)
    const config = await readConfig(cc.dataDir)
    await writeConfig(cc.dataDir, { ...config, listen: [listenAddress(cc)] })
    const movedAt = Date.now()
    await start(cc)
    await converge(`address change (CC ${oldAddress} → ${newAddress})`, 2 * PER_PAIR, movedAt)
    // the others hold CC's new record, with only the new address, as the CLI shows it
    for (const holder of [node('AA'), node('BB')]) {
      const shown = JSON.parse(await cliOk(holder, ['directory', 'show', 'CC', '--json'])) as {
        record: { seq: number; addresses: string[] }
      }
      expect(shown.record.seq).toBeGreaterThan(oldSeq)
      expect(shown.record.addresses.length).toBeGreaterThan(0)
      for (const address of shown.record.addresses) expect(address).toContain(`/ip4/${newAddress}/`)
    }
  })

  it('a member offline longer than the retry back-off: BB down while the others retry at the ceiling', async () => {
    const bb = node('BB')
    expect(await stopNode(bb)).toEqual({ code: 0, signal: null })
    const batches = await Promise.all([send('AA', 'BB'), send('CC', 'BB')])
    await Promise.all([
      waitForFailedAttempts('AA', batches[0], ATTEMPTS_PAST_CEILING),
      waitForFailedAttempts('CC', batches[1], ATTEMPTS_PAST_CEILING),
    ])
    const backAt = Date.now()
    await start(bb)
    await converge(`BB offline past the ${BACKOFF.maxBackoffMs} ms back-off ceiling`, 2 * PER_PAIR, backAt)
  })

  it('after healing: every message delivered exactly once, and every ledger verifies', async () => {
    for (const n of fed.nodes) expect(await stopNode(n)).toEqual({ code: 0, signal: null })
    for (const n of fed.nodes) {
      // --witnesses 0: the checkpoint each stop cuts is cosigned by nobody, as the others stop too
      const report = JSON.parse(await cliOk(n, ['ledger', 'verify', '--witnesses', '0', '--json'])) as {
        ok: boolean
      }
      expect(report.ok).toBe(true)
    }
    let total = 0
    for (const [pair, ids] of sent) {
      const [from, to] = pair.split('>') as [string, string]
      const audit = await auditDelivery(node(from), node(to))
      expect(audit.duplicates).toEqual({ receipts: [], received: [], sent: [] })
      expect(audit.rejected).toEqual([])
      expect(audit.failed).toEqual([])
      expect(new Set(audit.sent.keys())).toEqual(ids)
      expect(new Set(audit.accepted.keys())).toEqual(ids)
      expect(new Set(audit.received.keys())).toEqual(ids)
      total += ids.size
    }
    expect(total).toBe(figures.reduce((sum, f) => sum + f.messages, 0))
    // the one place this suite prints: its figures
    console.log(
      [
        `faults-netns: ${fed.nodes.length} nodes in network namespaces, ${figures.length} faults, ` +
          `${total} messages sent during them, each delivered exactly once; every ledger verifies`,
        ...figures.map(
          (f) =>
            `  ${f.fault}: ${f.messages} messages, converged ${(f.convergeMs / 1000).toFixed(1)} s after healing`,
        ),
      ].join('\n'),
    )
  })
})

/** Runs `pocnet <args>` on the node and returns its stdout; throws with its stderr unless it succeeds. */
async function cliOk(n: FederationNode, args: string[]): Promise<string> {
  const r = await runCli(n, args)
  if (r.code !== 0) throw new Error(`pocnet ${args.join(' ')} on ${n.country} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}
