import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  createFederation,
  type Federation,
  type FederationNode,
  federationLogs,
  recordedEvidence,
  rewriteNodeLedger,
  runCli,
  runCliJson,
  spawnNode,
  stopNode,
  submitMessage,
  verifyNodeLedger,
  waitFor,
  waitUntilReachable,
  withNodeLedger,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue acceptance (witnessing): three daemons; FR's ledger, cosigned by IT and US, is rewritten
// offline with FR's own key (one entry changed, the tail re-hashed and re-signed) and FR restarted.
// IT and US must raise the equivocation alert with the evidence, and `ledger verify --evidence` of
// FR's new bundle must fail naming the size where the witnesses' view and FR's ledger diverge.

/** FR's checkpoint interval: the alert is due within one, so the test keeps it short. */
const CHECKPOINT_MS = 1_000
/** Failure guards for the waits below, never performance bounds. */
const GUARD_MS = 90_000

/** The part of `pocnet status --json` this test reads. */
interface StatusJson {
  ledgerSize: number
  outboxDepth: number
  lastCheckpoint: { size: number; rootHex: string } | null
  witness: {
    latestSize: number | null
    cosigners: string[]
    meetsPolicy: boolean
    witnesses: Array<{ country: string; cosignedSize: number | null }>
    alerts: Array<{ country: string; heldSize: number; conflictingSize: number; againstSelf: boolean }>
  }
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0

async function status(node: FederationNode): Promise<StatusJson> {
  return runCliJson<StatusJson>(node, ['status', '--json'])
}

describe('a member rewriting its ledger is caught by its witnesses', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({
      countries: ['IT', 'FR', 'US'],
      configure: (c) => ({
        ...c,
        checkpoint: { everyEntries: 1000, everyMs: CHECKPOINT_MS },
        outbox: { ...c.outbox, initialBackoffMs: 200, maxBackoffMs: 2000 },
      }),
    })
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it("IT and US alert with the evidence; verify of FR's new bundle names the cosigned size", async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const [it_, fr, us] = [fed.node('IT'), fed.node('FR'), fed.node('US')]
    await Promise.all([spawnNode(it_), spawnNode(fr), spawnNode(us)])
    await waitUntilReachable(fr, it_)
    await waitUntilReachable(fr, us)

    // traffic: FR sends to both; then wait for a checkpoint covering all of FR's ledger, of a size
    // that is not a power of two (a standard proof from such a size cannot show a fork), cosigned
    // by IT and US
    for (const to of ['IT', 'US', 'IT']) await submitMessage(fr, { to, caseId: `witness-e2e-${to}` })
    const cosigned = await waitFor(
      async () => {
        const h = await status(fr)
        const w = h.witness
        if (h.outboxDepth > 0 || w.latestSize !== h.ledgerSize || w.cosigners.join() !== 'IT,US')
          return undefined
        if (!isPowerOfTwo(h.ledgerSize)) return h
        await submitMessage(fr, { to: 'US', caseId: 'witness-e2e-more' })
        return undefined
      },
      { timeoutMs: GUARD_MS, intervalMs: 250, description: "IT and US to cosign all of FR's ledger" },
    )
    const heldSize = cosigned.witness.latestSize!
    expect(cosigned.witness.meetsPolicy).toBe(true)
    expect(cosigned.witness.witnesses.map((m) => [m.country, m.cosignedSize])).toEqual([
      ['IT', heldSize],
      ['US', heldSize],
    ])
    const cosignedRoot = cosigned.lastCheckpoint!.rootHex

    // FR's operator stops the node and rewrites an entry the witnesses have cosigned
    expect(await stopNode(fr)).toEqual({ code: 0, signal: null })
    // one entry: the first of the case FR sent to US, moved to another case
    let target: number | undefined
    const rewrite = await rewriteNodeLedger(fr, (entry) => {
      if (target !== undefined || entry.seq >= heldSize || entry.caseId !== 'witness-e2e-US') return undefined
      target = entry.seq
      return { ...entry, caseId: 'witness-e2e-rewritten' }
    })
    expect(rewrite.changed).toHaveLength(1)
    expect(rewrite.size).toBeGreaterThanOrEqual(heldSize)
    // every signature in it is FR's own and valid: alone, the rewritten ledger verifies
    const alone = await verifyNodeLedger(fr)
    expect(alone.ok, JSON.stringify(alone.problem)).toBe(true)
    const rewrittenRoot = await withNodeLedger(fr, async (ledger) =>
      Buffer.from(await ledger.root(heldSize)).toString('hex'),
    )
    expect(rewrittenRoot).not.toBe(cosignedRoot)
    await spawnNode(fr)

    // IT and US raise the alert, with the evidence, at FR's first request for cosignatures
    for (const witness of [it_, us]) {
      const alerted = await waitFor(
        async () => (await status(witness)).witness.alerts.find((a) => a.country === 'FR'),
        { timeoutMs: GUARD_MS, intervalMs: 250, description: `${witness.country} to alert on FR` },
      )
      expect(alerted).toMatchObject({ country: 'FR', heldSize, againstSelf: false })
      // the operator's view: `pocnet status` shows the alert with the size the witnesses cosigned
      const text = await runCli(witness, ['status'])
      expect(text.stdout).toMatch(new RegExp(`EQUIVOCATION +FR: .*\\b${heldSize}\\b`))
    }
    // FR hears of the evidence against itself too
    const self = await waitFor(async () => (await status(fr)).witness.alerts.find((a) => a.againstSelf), {
      timeoutMs: GUARD_MS,
      intervalMs: 250,
      description: 'FR to record the evidence against itself',
    })
    expect(self).toMatchObject({ country: 'FR', heldSize })

    // the auditor's evidence: what IT's witness recorded against FR, from IT's operator
    const evidence = await runCli(it_, ['witness', 'evidence', '--country', 'FR', '--json'])
    expect(evidence.code, evidence.stderr).toBe(0)
    const listed = JSON.parse(evidence.stdout) as { evidence: Array<{ country: string }> }
    expect(listed.evidence.length).toBeGreaterThanOrEqual(1)
    expect(listed.evidence.every((e) => e.country === 'FR')).toBe(true)
    const evidenceFile = join(fed.baseDir, 'fr-evidence.json')
    await writeFile(evidenceFile, evidence.stdout)

    // FR's new bundle, held to the checkpoint the witnesses cosigned: it fails at that size
    const bundle = join(fed.baseDir, 'fr-rewritten.bundle')
    const exported = await runCliJson<{ entries: number }>(fr, [
      'ledger',
      'export',
      '--out',
      bundle,
      '--json',
    ])
    expect(exported.entries).toBeGreaterThan(heldSize)
    const verify = (...flags: string[]) =>
      runCli(it_, ['ledger', 'verify', '--bundle', bundle, '--country', 'FR', ...flags])
    const verified = await verify('--evidence', evidenceFile, '--json')
    expect(verified.code, verified.stderr).not.toBe(0)
    const report = JSON.parse(verified.stdout) as { ok: boolean; problem?: { reason: string } }
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(
      new RegExp(`checkpoints for size ${heldSize} have different roots .*a witness cosigned`),
    )
    const text = await verify('--evidence', evidenceFile)
    expect(text.stderr).toMatch(new RegExp(`size ${heldSize}`))

    // the evidence as recorded, checked against FR's key: FR's checkpoint of the size the
    // witnesses cosigned, and a later one of FR's that does not extend it
    for (const node of [it_, us, fr]) expect(await stopNode(node)).toEqual({ code: 0, signal: null })
    for (const witness of [it_, us]) {
      const recorded = await recordedEvidence(witness, fr)
      // its own witness's, and the other's when it found another conflicting checkpoint
      expect(recorded.length).toBeGreaterThanOrEqual(1)
      for (const { held, conflicting } of recorded) {
        expect(held.size).toBe(heldSize)
        expect(Buffer.from(held.root).toString('hex')).toBe(cosignedRoot)
        expect(conflicting.size).toBeGreaterThanOrEqual(heldSize)
      }
    }
  })
})
