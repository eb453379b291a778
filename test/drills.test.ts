import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuditReport, DrillsOverview } from '@pocnet/node/control-client'
import {
  createFederation,
  type Federation,
  federationLogs,
  KEEP_ENV,
  ledgerEntries,
  runCli,
  runCliJson,
  spawnNode,
  stopNode,
  verifyNodeLedger,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 18 acceptance: a drill round between three members shows both times per country. AA
// drills BB and CC over the real delivery path; BB's officer acknowledges with `pocnet drills
// ack`, CC takes no drills (`drills.accept: false`) and refuses with a signed answer.

describe('reachability drills between three daemons', () => {
  let base: string
  let fed: Federation
  let pages: string

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'pocnet-drills-'))
    pages = join(base, 'bb-pages.jsonl')
    fed = await createFederation({
      baseDir: base,
      countries: ['AA', 'BB', 'CC'],
      configure: (c, country) => {
        const fast = { ...c, outbox: { ...c.outbox, initialBackoffMs: 200, maxBackoffMs: 2000 } }
        if (country === 'CC') return { ...fast, drills: { accept: false } }
        // BB's notification hook: where its officer on duty would be paged
        if (country === 'BB') return { ...fast, notifyCommand: `cat >> '${pages}'` }
        return fast
      },
    })
  })

  afterAll(async () => {
    await fed?.cleanup()
    if (base !== undefined && !process.env[KEEP_ENV]) await rm(base, { recursive: true, force: true })
  })

  it('shows the machine receipt and the human acknowledgement per country, and a refusal', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const [aa, bb, cc] = [fed.node('AA'), fed.node('BB'), fed.node('CC')]
    await Promise.all([spawnNode(aa), spawnNode(bb), spawnNode(cc)])
    await Promise.all([
      waitUntilReachable(aa, bb),
      waitUntilReachable(aa, cc),
      waitUntilReachable(bb, aa),
      waitUntilReachable(cc, aa),
    ])

    const run = await runCli(aa, ['drills', 'run', 'BB', 'CC'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/queued for BB/)
    expect(run.stdout).toMatch(/queued for CC/)

    const overviewOf = (node: typeof aa) => runCliJson<DrillsOverview>(node, ['drills', '--json'])
    const country = (o: DrillsOverview, cc: string) => o.countries.find((c) => c.country === cc)
    await waitFor(
      async () => {
        const o = await overviewOf(aa)
        return country(o, 'BB')?.latest.receiptAt != null && country(o, 'CC')?.latest.refusedAt != null
      },
      { timeoutMs: 60_000, intervalMs: 500, description: "BB's receipt and CC's refusal at AA" },
    )

    // BB's officer was paged through the notification hook, and acknowledges
    const received = (await overviewOf(bb)).received
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({ from: 'AA', answer: null })
    const drillId = received[0]!.id
    await waitFor(async () => (await readFile(pages, 'utf8').catch(() => '')).includes(drillId), {
      timeoutMs: 30_000,
      description: "BB's page for the drill",
    })
    const page = JSON.parse((await readFile(pages, 'utf8')).trim().split('\n').at(-1)!)
    expect(page).toMatchObject({ type: 'drill', caseId: '', detail: { drill: drillId, from: 'AA' } })

    const ack = await runCli(bb, ['drills', 'ack', drillId.slice(0, 8)])
    expect(ack.stderr).toBe('')
    expect(ack.code).toBe(0)
    expect(ack.stdout).toMatch(`drill ${drillId} from AA acknowledged`)
    const again = await runCli(bb, ['drills', 'ack', drillId])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already acknowledged by user:/)

    await waitFor(async () => country(await overviewOf(aa), 'BB')?.latest.acknowledgedAt != null, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: "BB's acknowledgement at AA",
    })
    const seen = await overviewOf(aa)
    expect(country(seen, 'BB')).toMatchObject({ sent: 1, receipted: 1, acknowledged: 1, refused: 0 })
    expect(country(seen, 'BB')!.latest.acknowledgementMs).toBeGreaterThanOrEqual(
      country(seen, 'BB')!.latest.receiptMs!,
    )
    expect(country(seen, 'CC')).toMatchObject({ sent: 1, receipted: 1, acknowledged: 0, refused: 1 })

    // the human form names both times for BB and the refusal for CC
    const table = await runCli(aa, ['drills'])
    expect(table.code).toBe(0)
    const row = (cc: string) => table.stdout.split('\n').find((l) => l.startsWith(cc)) ?? ''
    expect(row('BB')).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \([\d.]+s\) +\d{4}-\d\d-\d\d \d\d:\d\d UTC/)
    expect(row('CC')).toMatch(/REFUSED/)

    const audit = await runCliJson<AuditReport>(aa, ['audit', 'report', '--json'])
    expect(audit.drills.map((d) => d.country)).toEqual(['BB', 'CC'])
    expect(audit.drills[0]!.acknowledgement.count).toBe(1)
    expect(audit.drills[0]!.receipt.count).toBe(1)
    // no drill opened a case anywhere
    for (const node of [aa, bb, cc])
      expect((await runCliJson<{ cases: unknown[] }>(node, ['inbox', '--all', '--json'])).cases).toEqual([])

    for (const node of [aa, bb, cc]) expect(await stopNode(node)).toEqual({ code: 0, signal: null })
    for (const node of [aa, bb, cc]) {
      const report = await verifyNodeLedger(node)
      expect(report.problem).toBeUndefined()
      expect(report.ok).toBe(true)
    }
    // every drill, receipt and answer is in the ledgers, on both sides
    const kindsOf = async (node: typeof aa) => {
      const e = await ledgerEntries(node, ['message-sent', 'message-received', 'receipt'])
      const kinds = (list: (typeof e)['receipt']) =>
        list.map((x) => `${x.counterpart}:${x.detail?.messageKind}`).sort()
      return {
        sent: kinds(e['message-sent']),
        received: kinds(e['message-received']),
        receipts: e.receipt.length,
      }
    }
    expect(await kindsOf(aa)).toEqual({
      sent: ['BB:drill', 'CC:drill'],
      received: ['BB:drill.ack', 'CC:drill.refused'],
      receipts: 2,
    })
    expect(await kindsOf(bb)).toEqual({ sent: ['AA:drill.ack'], received: ['AA:drill'], receipts: 1 })
    expect(await kindsOf(cc)).toEqual({ sent: ['AA:drill.refused'], received: ['AA:drill'], receipts: 1 })
  })
})
