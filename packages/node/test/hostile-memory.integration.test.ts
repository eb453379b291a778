import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { toHex } from '@pocnet/crypto'
import {
  createFederation,
  type Federation,
  type FederationNode,
  federationLogs,
  health,
  outbox,
  spawnNode,
  submitMessage,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import type { AttackPlan, AttackReport } from './fixtures/partial-frames-attacker.ts'

/**
 * Issue 17, memory: a member (DE, its key in a separate attacker process) opens 8 connections to
 * the victim (FR, a daemon in its own process) and keeps 64 delivery streams on each sending
 * partial 1 MiB frames, reopening each stream and dialling again each connection the victim ends
 * (the victim's cap lets 4 through). Meanwhile a third member (IT) sends the victim a message every
 * 150 ms. The victim must hold no more than the member's share, stop reading the member (counted),
 * keep its RSS within MAX_RSS_GROWTH × its idle baseline, receipt every legitimate message, and
 * after the attack the heap must come back to within 10 % of its baseline with nothing held.
 */

const ATTACKER = new URL('./fixtures/partial-frames-attacker.ts', import.meta.url).pathname
const MiB = 1024 * 1024
const PLAN = {
  connections: 8,
  streams: 64,
  frameBytes: MiB,
  // all of the frame but its last byte: it never completes
  sendBytes: MiB - 1,
  reopenAfterMs: 100,
  // twice the victim's 10 s frame deadline, so that held frames are held as long as they can be
  seconds: 20,
}
/**
 * The peak RSS allowed, as a multiple of the idle RSS: issue 17's bound. Measured with the read
 * pause at a quarter of the member's share (read-pause.ts, constants.ts READ_PAUSE), sampled every
 * 100 ms from before the attacker starts: 1.28-1.36× over 8 runs (idle 172-175 MiB, peak 221-236 MiB), on a
 * machine also running other tests. What the peak holds beyond the frames (at most 4.3 MiB) is what
 * the transport reads around each pause, and V8's young generation and the allocator keeping pages.
 */
const MAX_RSS_GROWTH = 1.5
const LEGIT_EVERY_MS = 150
/** Failure guards only, never performance bounds. */
const GUARD_MS = 120_000
const HEAP_RETURN_GUARD_MS = 180_000

/** The process's resident set, from /proc: what the operating system gives it, all included. */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (kib === null) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(kib[1]) * 1024
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

interface Attack {
  child: ChildProcess
  started: Promise<AttackReport>
  done: Promise<AttackReport>
  stderr: string[]
}

function startAttack(plan: AttackPlan): Attack {
  const child = spawn(process.execPath, [ATTACKER, JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const lines = createInterface({ input: child.stdout! })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the attacker exited (code ${code}): ${stderr.join('')}`))),
  )
  const line = (key: 'attacking' | 'done') =>
    Promise.race([
      new Promise<AttackReport>((resolve) =>
        lines.on('line', (text) => {
          const parsed = JSON.parse(text) as Record<string, AttackReport>
          if (parsed[key] !== undefined) resolve(parsed[key])
        }),
      ),
      exited,
    ])
  const started = line('attacking')
  const done = line('done')
  // either may be left unawaited when the other fails
  started.catch(() => {})
  done.catch(() => {})
  return { child, started, done, stderr }
}

describe('partial frames from a member on 8 connections × 64 streams', () => {
  let fed: Federation
  let attack: Attack | undefined

  beforeAll(async () => {
    fed = await createFederation({
      countries: ['FR', 'DE', 'IT'],
      configure: (config) => ({
        ...config,
        outbox: { initialBackoffMs: 100, maxBackoffMs: 1000, expiryMs: 3600_000 },
      }),
    })
  })

  afterAll(async () => {
    attack?.child.kill('SIGKILL')
    await fed?.cleanup()
  })

  /** Messages from `from` to `to` every LEGIT_EVERY_MS until `signal` ends; how many were submitted. */
  async function sendSteadily(
    from: FederationNode,
    to: FederationNode,
    signal: AbortSignal,
  ): Promise<number> {
    let sent = 0
    while (!signal.aborted) {
      await submitMessage(from, { to: to.country, caseId: `legit-${sent}` })
      sent++
      await sleep(LEGIT_EVERY_MS)
    }
    return sent
  }

  it('keep the victim within 1.5× its idle RSS, serve the legitimate sender, and leave no memory behind', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
      if (attack !== undefined) console.error(`attacker stderr:\n${attack.stderr.join('')}`)
    })
    const victim = fed.node('FR')
    const member = fed.node('DE')
    const legit = fed.node('IT')
    const victimProcess = await spawnNode(victim)
    await spawnNode(legit)
    await waitUntilReachable(legit, victim)
    const pid = victimProcess.pid

    // the idle baseline: the path from IT works, then the victim rests
    const deliveredBefore = (await health(legit)).delivered
    await submitMessage(legit, { to: 'FR', caseId: 'warm-up' })
    await waitFor(async () => (await health(legit)).delivered > deliveredBefore, {
      timeoutMs: GUARD_MS,
      description: 'the warm-up message to be receipted',
    })
    await sleep(3_000)
    const rssSamples: number[] = []
    const heapSamples: number[] = []
    for (let i = 0; i < 5; i++) {
      rssSamples.push(await rssBytes(pid))
      heapSamples.push((await health(victim)).memory.heapUsedBytes)
      await sleep(400)
    }
    const baselineRss = median(rssSamples)
    const baselineHeap = median(heapSamples)

    // sampled from before the attacker starts, so that its first burst counts too
    const peak = { rss: 0, held: 0 }
    const sampling = new AbortController()
    const sampler = (async () => {
      while (!sampling.signal.aborted) {
        const rss = await rssBytes(pid)
        const h = await health(victim)
        peak.rss = Math.max(peak.rss, rss)
        peak.held = Math.max(peak.held, h.frameBudget.heldBytes)
        await sleep(100)
      }
    })()
    const legitDone = new AbortController()
    let submitting: Promise<number> | undefined
    let started: AttackReport
    let report: AttackReport
    try {
      attack = startAttack({
        ...PLAN,
        victim: `/ip4/127.0.0.1/tcp/${victim.port}/p2p/${victim.peerId}`,
        key: toHex(member.identity.signingKeyProtobuf()),
      })
      started = await attack.started
      expect(started.connections, 'connections the attacker got').toBeGreaterThan(0)
      submitting = sendSteadily(legit, victim, legitDone.signal)
      report = await attack.done
    } finally {
      legitDone.abort()
      sampling.abort()
      await sampler
    }
    const peakRss = peak.rss
    const peakHeld = peak.held
    const legitSent = await submitting

    await waitFor(async () => (await outbox(legit)).length === 0, {
      timeoutMs: GUARD_MS,
      intervalMs: 250,
      description: "IT's outbox to drain",
    })
    const afterAttack = await health(victim)
    expect(report.streamsOpened, 'streams the attacker opened').toBeGreaterThanOrEqual(
      started.connections * 64,
    )
    // DE is no longer read once it holds a quarter of its share: the budget need not refuse a frame
    expect(afterAttack.frameBudget.readPauses, 'times DE was no longer read').toBeGreaterThan(0)
    expect(peakHeld, "bytes held for partial frames, at most DE's share").toBeLessThanOrEqual(
      afterAttack.frameBudget.perMemberBytes,
    )
    expect(peakRss, `peak RSS under attack (idle ${baselineRss} bytes)`).toBeLessThanOrEqual(
      MAX_RSS_GROWTH * baselineRss,
    )
    const legitHealth = await health(legit)
    expect(legitHealth.delivered - deliveredBefore, 'legitimate messages receipted').toBe(legitSent + 1)

    // after the attack: nothing held, and the heap back within 10 % of its idle size
    const settled = await waitFor(
      async () => {
        const h = await health(victim)
        return h.frameBudget.heldBytes === 0 && h.memory.heapUsedBytes <= 1.1 * baselineHeap && h
      },
      {
        timeoutMs: HEAP_RETURN_GUARD_MS,
        intervalMs: 1_000,
        description: 'the heap to return to its baseline',
      },
    )
    expect(settled.frameBudget.holders).toBe(0)
    console.info(
      `memory attack: ${report.connections} connections (${report.dials} dialled), ${report.streamsOpened} streams, ${report.endedByVictim} ended by the victim; ` +
        `RSS idle ${(baselineRss / MiB).toFixed(0)} MiB, peak ${(peakRss / MiB).toFixed(0)} MiB; ` +
        `held at most ${(peakHeld / MiB).toFixed(1)} MiB; heap idle ${(baselineHeap / MiB).toFixed(0)} MiB, after ${(settled.memory.heapUsedBytes / MiB).toFixed(0)} MiB; ` +
        `${legitSent + 1} legitimate messages receipted; ${afterAttack.rejected['over-budget'] ?? 0} frames refused, DE paused ${afterAttack.frameBudget.readPauses} times`,
    )
  }, 420_000)
})
