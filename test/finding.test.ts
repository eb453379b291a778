import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { caseRoutes } from '@pocnet/node/control-client'
import {
  createFederation,
  type Federation,
  type FederationNode,
  preservationForm,
  runCli,
  runCliJson,
  spawnNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Issue 19 item 7, finding things, through real daemons and the real CLI: search by reference
// and identifier, the warning when a request's identifier is in another open case (at send, at
// --check, on the receiver's `case show`, in the feed, never with its value in the log), the
// receiver's summary of the request, an inbox within 100 columns, `audit report --from/--to`
// and `ledger prove --bundle`.

/** The IPv6 address both requests name, written two ways. */
const IP_FIRST = '2001:db8::7'
const IP_SECOND = '2001:0DB8:0:0::0007'

interface Match {
  id: string
  reference: string
  matched: Array<{ kind: string; path: string }>
}

function form(caseReference: string, address: string): Record<string, unknown> {
  const f = preservationForm()
  return {
    ...f,
    caseReference,
    data: {
      ...(f.data as object),
      identifiers: [
        { type: 'ip', address, timestamp: '2026-11-27T22:41:09Z' },
        { type: 'email', address: `${caseReference}@Mail.Example.FR` },
      ],
    },
  }
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => stripVTControlCharacters(l).length))

describe('finding things', () => {
  let fed: Federation
  let it_: FederationNode
  let fr: FederationNode
  let first: string
  let second: string

  async function send(name: string, body: Record<string, unknown>, ...flags: string[]) {
    const file = join(fed.baseDir, `${name}.yaml`)
    await writeFile(file, JSON.stringify(body))
    return runCli(it_, ['request', 'send', '--to', 'FR', '--file', file, ...flags])
  }

  /** Waits for FR to hold case `id`. */
  function received(id: string) {
    return waitFor(
      async () => {
        const { cases } = await runCliJson<{ cases: Array<{ id: string }> }>(fr, ['inbox', '--json'])
        return cases.some((c) => c.id === id) ? true : undefined
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `FR to receive ${id}` },
    )
  }

  beforeAll(async () => {
    fed = await createFederation({ countries: ['IT', 'FR'] })
    await Promise.all(fed.nodes.map((n) => spawnNode(n)))
    it_ = fed.node('IT')
    fr = fed.node('FR')
    await waitUntilReachable(it_, fr)
    const sent = await send('first', form('IT-FIND-0001', IP_FIRST), '--json')
    expect(sent.code, sent.stderr).toBe(0)
    const opened = JSON.parse(sent.stdout) as { caseId: string; repeatedIdentifiers: unknown[] }
    expect(opened.repeatedIdentifiers).toEqual([])
    first = opened.caseId
    await received(first)
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('finds a case by its reference and by an identifier written another way, on both sides', async () => {
    const byRef = await runCliJson<{ cases: Match[] }>(it_, ['search', 'it-find-0001', '--json'])
    expect(byRef.cases.map((c) => c.id)).toEqual([first])
    expect(byRef.cases[0]!.matched).toEqual([{ kind: 'reference', path: 'caseReference' }])
    const byIp = await runCliJson<{ cases: Match[] }>(fr, ['search', '2001:DB8:0::7', '--json'])
    expect(byIp.cases).toMatchObject([
      { id: first, reference: 'IT-FIND-0001', matched: [{ kind: 'ip', path: 'data.identifiers[0]' }] },
    ])
    const text = await runCli(fr, ['search', 'it-find-0001@mail.example.fr', '--type', 'email'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`^${first}\\s+IT-FIND-0001\\s+preservation\\s+IT→FR\\s`, 'm'))
    expect(widest(text.stdout)).toBeLessThanOrEqual(100)
    const none = await runCli(fr, ['search', '198.51.100.1'])
    expect(none.stdout.trim()).toBe('no case holds 198.51.100.1')
    const bad = await runCli(fr, ['search', 'x', '--type', 'passport'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--type <kind>.*passport/)
  })

  it('warns at --check and at send that an identifier is in another open case, naming it', async () => {
    const body = form('IT-FIND-0002', IP_SECOND)
    const warning = new RegExp(`ip at data\\.identifiers\\[0\\] is also in open case ${first} \\(FR, \\w+\\)`)
    const check = await send('second', body, '--check')
    expect(check.code, check.stderr).toBe(0)
    expect(check.stdout).toMatch(warning)
    const sent = await send('second', body)
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(warning)
    // the e-mail differs: only the address is repeated
    expect(sent.stdout).not.toMatch(/email at/)
    second = /case (IT-\d{8}-[0-9a-f]{8})/.exec(sent.stdout)![1]!
    await received(second)
  })

  it('shows the receiver a summary of the request and the warning, within 100 columns', async () => {
    const shown = await runCli(fr, ['case', 'show', second])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain('  type         preservation, urgent')
    expect(shown.stdout).toContain('  reference    IT-FIND-0002 (investigation B-123/2026)')
    expect(shown.stdout).toContain('  identifiers  2')
    expect(shown.stdout).toContain(`    ip ${IP_SECOND} at 2026-11-27T22:41:09Z`)
    expect(shown.stdout).toContain('  handling     confidential, do not notify the subscriber')
    expect(shown.stdout).toMatch(
      new RegExp(`! ip at data\\.identifiers\\[0\\] is also in open case ${first} \\(IT, \\w+\\)`),
    )
    expect(widest(shown.stdout)).toBeLessThanOrEqual(100)
    // the requester wrote the request: its side shows no summary, --request shows it whole
    expect((await runCli(it_, ['case', 'show', second])).stdout).not.toContain('  identifiers  ')
    expect((await runCli(fr, ['case', 'show', second, '--request'])).stdout).toContain(
      '## Data to be preserved',
    )
  })

  it('puts the warning in the feed and the log without the identifier', async () => {
    const feed = await fr.client.call(caseRoutes.feed, { query: { after: 0 } })
    const warned = feed.events.filter(
      (e) => e.caseId === second && e.summary.includes('is also in open case'),
    )
    expect(warned.map((e) => e.summary)).toEqual([
      expect.stringMatching(
        new RegExp(`^ip at data\\.identifiers\\[0\\] is also in open case ${first} \\(IT, `),
      ),
    ])
    const log = await readFile(fr.logFile, 'utf8')
    expect(log).toContain('cases.repeated-identifier')
    expect(log.toLowerCase()).not.toContain('2001:db8')
    expect(log.toLowerCase()).not.toContain('2001:0db8')
  })

  it('lists the inbox with the reference column, every line within 100 columns', async () => {
    const inbox = await runCli(fr, ['inbox'])
    expect(inbox.code, inbox.stderr).toBe(0)
    expect(inbox.stdout).toMatch(/^CASE\s+REFERENCE\s+TYPE\s+FROM→TO\s+STATUS\s+URGENCY\s+NEXT DEADLINE$/m)
    expect(inbox.stdout).toMatch(new RegExp(`^${first}\\s+IT-FIND-0001\\s+preservation\\s+IT→FR\\s`, 'm'))
    expect(widest(inbox.stdout)).toBeLessThanOrEqual(100)
  })

  it('reports over --from/--to, and refuses a bad bound naming the flag', async () => {
    const all = await runCliJson<{ cases: number; period: unknown }>(it_, [
      'audit',
      'report',
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01T00:00:00+01:00',
      '--json',
    ])
    expect(all).toMatchObject({
      cases: 2,
      period: { from: '2000-01-01T00:00:00.000Z', to: '2099-12-31T23:00:00.000Z' },
    })
    const later = await runCliJson<{ cases: number }>(it_, [
      'audit',
      'report',
      '--from',
      '2100-01-01',
      '--json',
    ])
    expect(later.cases).toBe(0)
    const bad = await runCli(it_, ['audit', 'report', '--from', '2026-13-01'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--from 2026-13-01: is not a date or a timestamp with an offset')
    const reversed = await runCli(it_, ['audit', 'report', '--from', '2026-12-01', '--to', '2026-11-01'])
    expect(reversed.code).toBe(2)
    expect(reversed.stderr).toContain('--from 2026-12-01 is after --to 2026-11-01')
  })

  it('proves an entry offline from an export bundle, against its signed checkpoint', async () => {
    const bundle = join(fed.baseDir, 'it.pnlb')
    const exported = await runCli(it_, ['ledger', 'export', '--out', bundle, '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const { entries } = JSON.parse(exported.stdout) as { entries: number }
    const proof = await runCliJson<{ seq: number; treeSize: number; verifiedLocally: string }>(it_, [
      'ledger',
      'prove',
      '3',
      '--bundle',
      bundle,
      '--json',
    ])
    expect(proof).toMatchObject({ seq: 3, treeSize: entries, verifiedLocally: 'ok' })
    const text = await runCli(it_, ['ledger', 'prove', String(entries - 1), '--bundle', bundle])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('checked here against the roster key of IT: ok')
    const beyond = await runCli(it_, ['ledger', 'prove', String(entries + 5), '--bundle', bundle])
    expect(beyond.code).not.toBe(0)
    expect(beyond.stderr).toContain(`the bundle holds entries 0..${entries - 1}, not ${entries + 5}`)
    const missing = await runCli(it_, ['ledger', 'prove', '1', '--bundle', join(fed.baseDir, 'none.pnlb')])
    expect(missing.stderr).toContain('no such file')
  })
})
