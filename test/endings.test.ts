import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { caseRoutes } from '@pocnet/node/control-client'
import {
  createFederation,
  type Federation,
  type FederationNode,
  federationLogs,
  preservationForm,
  runCli,
  runCliJson,
  spawnNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 19, items 2, 3 and 5 end to end: real daemons, the real CLI. A preservation with two
// custodians through the MLA handover (Art. 29(7)) to release and close; and conditions on use
// (Art. 28(2)-(3)) stated, blocking the Art. 30 follow-up until accepted, then carried into it.

interface Shown {
  case: {
    status: string
    custodians: { providerReference: string; released?: unknown }[]
    mlaReceived?: { authorityReference: string }
    conditions?: { conditions: string[]; answer?: { accepted: boolean } }
  }
}

describe('endings per article, the MLA handover and conditions on use', () => {
  let fed: Federation
  let it_: FederationNode
  let fr: FederationNode
  const token: Record<string, string> = {}

  /** Runs a CLI command as the country's contact point; it must succeed. */
  async function ok(node: FederationNode, args: string[]): Promise<string> {
    const r = await runCli(node, args, token[node.country])
    expect(r.code, `pocnet ${args.join(' ')}\n${r.stderr}`).toBe(0)
    return r.stdout
  }

  async function show(node: FederationNode, caseId: string): Promise<Shown['case'] | undefined> {
    const r = await runCli(node, ['case', 'show', caseId, '--json'], token[node.country])
    return r.code === 0 ? (JSON.parse(r.stdout) as Shown).case : undefined
  }

  function until(node: FederationNode, caseId: string, test: (c: Shown['case']) => boolean, what: string) {
    return waitFor(
      async () => {
        const c = await show(node, caseId)
        return c !== undefined && test(c)
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `${node.country} to see case ${caseId} ${what}` },
    )
  }

  async function send(caseReference: string): Promise<string> {
    const file = join(fed.baseDir, `${caseReference}.json`)
    await writeFile(file, JSON.stringify({ ...preservationForm(), caseReference }))
    const sent = await runCliJson<{ caseId: string }>(it_, [
      'request',
      'send',
      '--to',
      'FR',
      '--file',
      file,
      '--json',
    ])
    await until(fr, sent.caseId, () => true, 'arrive')
    await ok(fr, ['case', 'ack', sent.caseId, '--by', 'Insp. Marie Dupont'])
    return sent.caseId
  }

  beforeAll(async () => {
    fed = await createFederation({ countries: ['IT', 'FR'] })
    it_ = fed.node('IT')
    fr = fed.node('FR')
    await Promise.all([spawnNode(it_), spawnNode(fr)])
    await waitUntilReachable(it_, fr)
    for (const node of [it_, fr])
      token[node.country] = (
        await runCliJson<{ token: string }>(node, ['user', 'add', 'desk', '--role', 'contact', '--json'])
      ).token
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('Art. 29(7): two custodians preserved, MLA received, released, then closed', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const caseId = await send('IT-ENDINGS-1')
    await ok(fr, ['case', 'preserve', caseId, '--provider-ref', 'OVH-1', '--days', '90', '--provider', 'OVH'])
    await ok(fr, [
      'case',
      'preserve',
      caseId,
      '--provider-ref',
      'HZ-2',
      '--days',
      '60',
      '--provider',
      'Hetzner',
      '--data-category',
      'connection logs',
      '--data-from',
      '2026-11-27T00:00:00Z',
      '--data-to',
      '2026-11-28T00:00:00Z',
    ])
    await until(it_, caseId, (c) => c.custodians.length === 2, 'with two custodians')
    const listed = await ok(it_, ['case', 'show', caseId])
    expect(listed).toMatch(/^ {2}preserved {4}ref OVH-1 \(OVH\), 90 days, until /m)
    expect(listed).toMatch(
      /^ {2}preserved {4}ref HZ-2 \(Hetzner, connection logs\), data .* to .*, 60 days, until /m,
    )

    await ok(it_, ['case', 'mla', caseId, '--mla-ref', 'MLA/2026/118'])
    await until(fr, caseId, (c) => c.status === 'mla-submitted', 'mla-submitted')
    // closing while data is preserved is refused, naming what is preserved and the command to release it
    const early = await runCli(fr, ['case', 'close', caseId], token.FR)
    expect(early.code).toBe(1)
    expect(early.stderr).toContain('data is still preserved for custodian OVH-1 (OVH, until')
    expect(early.stderr).toContain(
      `the requester releases it first with \`pocnet case release ${caseId} --all\``,
    )

    await ok(fr, ['case', 'mla-received', caseId, '--authority-ref', 'MJ-FR-2026-0412'])
    await until(it_, caseId, (c) => c.status === 'mla-received', 'mla-received')
    expect(await ok(it_, ['case', 'show', caseId])).toMatch(
      /ref OVH-1 \(OVH\), 90 days, held until the MLA request is decided/,
    )
    await ok(fr, [
      'case',
      'mla-decided',
      caseId,
      '--decision',
      'granted',
      '--text',
      'Production order served',
    ])
    await until(it_, caseId, (c) => c.status === 'mla-decided', 'mla-decided')

    await ok(it_, ['case', 'release', caseId, '--provider-ref', 'HZ-2', '--reason', 'not needed'])
    await ok(it_, ['case', 'release', caseId, '--all', '--reason', 'produced under the MLA request'])
    await until(fr, caseId, (c) => c.custodians.every((k) => k.released !== undefined), 'all released')
    await ok(fr, ['case', 'close', caseId, '--reason', 'data produced under MLA'])
    await until(it_, caseId, (c) => c.status === 'closed', 'closed')
  })

  it('Art. 29(3): a withdrawal releases every custodian on both sides', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const caseId = await send('IT-ENDINGS-3')
    await ok(fr, ['case', 'preserve', caseId, '--provider-ref', 'OVH-3', '--days', '90', '--provider', 'OVH'])
    await until(it_, caseId, (c) => c.custodians.length === 1, 'with a custodian')
    await ok(it_, ['case', 'withdraw', caseId, '--reason', 'suspect identified by other means'])
    for (const node of [it_, fr]) {
      await until(node, caseId, (c) => c.status === 'withdrawn', 'withdrawn')
      const shown = await show(node, caseId)
      expect(shown?.custodians.map((k) => k.released)).toEqual([
        { at: expect.any(String), reason: 'withdrawn' },
      ])
      expect(await ok(node, ['case', 'show', caseId])).toMatch(
        /^ {2}preserved {4}ref OVH-3 \(OVH\), 90 days, released .* \(request withdrawn\)$/m,
      )
    }
    // the requested side's officer is told which custodians may now let the data go
    const feed = await fr.client.call(caseRoutes.feed, { query: { after: 0 } })
    expect(feed.events.filter((e) => e.caseId === caseId && e.summary.includes('withdrawn'))).toEqual([
      expect.objectContaining({
        summary: 'IT: withdrawn (case now withdrawn); preservation released at OVH-3',
      }),
    ])
  })

  it('Art. 28(2)-(3): conditions stated and accepted, then carried into the Art. 30 follow-up', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const caseId = await send('IT-ENDINGS-2')
    await ok(fr, [
      'case',
      'conditions',
      caseId,
      '--condition',
      'Use only in investigation IT-ENDINGS-2',
      '--basis',
      'Art. 28(2)(b)',
    ])
    await ok(fr, [
      'case',
      'disclose',
      caseId,
      '--third-country',
      'US',
      '--provider',
      'Example Cloud Inc.',
      '--traffic-data',
      'administered over SSH from 198.51.100.23',
      '--identifier',
      `{type: ip, address: 198.51.100.23, timestamp: "${new Date(Date.now() - 7_200_000).toISOString()}"}`,
    ])
    await until(it_, caseId, (c) => c.status === 'partially-disclosed', 'partially disclosed')
    expect(await ok(it_, ['case', 'show', caseId])).toMatch(/^ {2}data usable {2}no: /m)
    const pending = JSON.parse(await ok(it_, ['case', 'show', caseId, '--json'])) as { dataUsable: boolean }
    expect(pending.dataUsable).toBe(false)

    const out = join(fed.baseDir, 'followup.yaml')
    const blocked = await runCli(it_, ['case', 'followup', caseId, '--out', out], token.IT)
    expect(blocked.code).toBe(1)
    expect(blocked.stderr).toContain(`the conditions on use of case ${caseId} await your answer`)

    await ok(it_, ['case', 'accept-conditions', caseId, '--text', 'accepted by the prosecutor'])
    await until(fr, caseId, (c) => c.conditions?.answer?.accepted === true, 'conditions accepted')
    expect(await ok(it_, ['case', 'show', caseId])).toMatch(/^ {2}data usable {2}yes$/m)
    const accepted = JSON.parse(await ok(it_, ['case', 'show', caseId, '--json'])) as { dataUsable: boolean }
    expect(accepted.dataUsable).toBe(true)
    await ok(it_, ['case', 'followup', caseId, '--out', out])
    const form = await readFile(out, 'utf8')
    expect(form).toMatch(/conditionsOnUse:\n\s+- Use only in investigation IT-ENDINGS-2/)
  })
})
