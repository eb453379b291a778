import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_CLOCK_ENV, testClockRoutes } from '@pocnet/node/control-client'
import {
  createFederation,
  type Federation,
  type FederationNode,
  federationLogs,
  ledgerEntries,
  runCli,
  runCliJson,
  spawnNode,
  stopNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 18 acceptance: an unacknowledged urgent request pages the duty officer, the backup and
// the supervisor at the configured shares of its acknowledgement deadline, each once and in the
// ledger; the requesting side is told to phone the counterpart's desk. Real daemons and the real
// CLI; the case clock is moved through the test-only clock route, never waited for.

interface NotifyLine {
  type: string
  caseId: string
  summary: string
  detail?: Record<string, unknown>
  reach?: { person: string | null; phone?: string; email?: string; pager?: string }
}

interface PageView {
  place: string
  person: string | null
  reason: string
  phone?: string
}

const BACKUP_SHARE = 0.25
const MINUTE = 60_000

function form(): string {
  return `schema: pocnet/preservation/v1
issuedAt: "${new Date().toISOString()}"
caseReference: "IT-DUTY-0001"
urgency: urgent
language: en
requestingAuthority:
  name: "IT cyber unit"
  officer:
    name: "Insp. Test"
  phones: ["+36 1 000 0001"]
  email: "247@it.example"
  officeHours: "24/7 desk"
  timeZone: Europe/Rome
  preferredChannel: pocnet
attachments: []
relatedCases: []
requestKind: new
offence:
  description: "Ransomware attack on a hospital"
facts: "Servers encrypted; the ransom note points to a server in FR."
data:
  description: "Connection logs of the server"
  relationToOffence: "The server ran the command-and-control service"
  identifiers:
    - type: ip
      address: 192.0.2.44
      timestamp: "${new Date(Date.now() - 3_600_000).toISOString()}"
custodian:
  provider: "Example Hosting"
  country: FR
necessity: "The provider keeps logs for 7 days only."
mlaIntent:
  intendsToSubmit: true
`
}

describe('duty roster and escalation', () => {
  let base: string
  let fed: Federation
  const notifyFile = (cc: string) => join(base, `${cc}-notify.jsonl`)

  async function notified(cc: string): Promise<NotifyLine[]> {
    const text = await readFile(notifyFile(cc), 'utf8').catch(() => '')
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as NotifyLine)
  }

  async function pages(cc: string): Promise<NotifyLine[]> {
    return (await notified(cc)).filter((e) => e.type === 'page')
  }

  /** Runs a CLI command that must succeed; its output, for asserting on. */
  async function cli(node: FederationNode, args: string[], token?: string): Promise<string> {
    const r = await runCli(node, args, token)
    expect(r.code, `pocnet ${args.join(' ')}\n${r.stderr}`).toBe(0)
    return r.stdout
  }

  async function addUser(node: FederationNode, name: string, role: string): Promise<string> {
    return (await runCliJson<{ token: string }>(node, ['user', 'add', name, '--role', role, '--json'])).token
  }

  /** Moves a node's case clock to `at` (ms since the epoch); the node runs its clock checks at once. */
  async function clockTo(node: FederationNode, at: number): Promise<void> {
    await node.client.call(testClockRoutes.set, { body: { offsetMs: Math.round(at - Date.now()) } })
  }

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'pocnet-duty-'))
    fed = await createFederation({
      countries: ['IT', 'FR'],
      baseDir: base,
      configure: (c, cc) => ({
        ...c,
        notifyCommand: `cat >> ${notifyFile(cc)}`,
        escalation: {
          urgent: [
            { page: 'officer', atShare: 0 },
            { page: 'backup', atShare: BACKUP_SHARE },
            { page: 'supervisor', atShare: 1 },
          ],
        },
      }),
    })
  })

  afterAll(async () => {
    await fed?.cleanup()
    if (base !== undefined) await rm(base, { recursive: true, force: true })
  })

  it('pages officer, backup and supervisor at their shares, once; tells the requester to phone', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const a = fed.node('IT')
    const b = fed.node('FR')
    const env = { [TEST_CLOCK_ENV]: '1' }
    await Promise.all([spawnNode(a, { env }), spawnNode(b, { env })])
    await waitUntilReachable(a, b)

    // FR's roster: one 24-hour shift, each person with their own channel
    await addUser(b, 'alice', 'contact')
    await addUser(b, 'bob', 'contact')
    const sue = await addUser(b, 'sue', 'supervisor')
    await cli(b, ['duty', 'person', 'alice', '--phone', '+3620000001'])
    await cli(b, ['duty', 'person', 'bob', '--email', 'bob@fr.example'])
    await cli(b, ['duty', 'person', 'sue', '--pager', 'SUE-7'], sue)
    const refused = await runCli(b, [
      'duty',
      'set',
      'all',
      '--officer',
      'alice',
      '--days',
      'all',
      '--start',
      '00:00',
      '--end',
      '00:00',
      '--zone',
      'Etc/GMT-2',
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/timeZone: "Etc\/GMT-2" is refused: .*reverse sign/)
    // set by the supervisor
    await cli(
      b,
      [
        'duty',
        'set',
        'all',
        '--officer',
        'alice',
        '--backup',
        'bob',
        '--supervisor',
        'sue',
        '--days',
        'all',
        '--start',
        '00:00',
        '--end',
        '00:00',
        '--zone',
        'Europe/Paris',
      ],
      sue,
    )
    const roster = await cli(b, ['duty'])
    expect(roster).toMatch(/now +alice \(shift all, .*\), backup bob, supervisor sue/)

    // IT's roster: the requester and a supervisor
    const req = await addUser(a, 'req', 'contact')
    await addUser(a, 'sam', 'supervisor')
    await cli(a, ['duty', 'person', 'req', '--phone', '+3630000001'])
    await cli(a, ['duty', 'person', 'sam', '--phone', '+3630000002'])
    await cli(a, [
      'duty',
      'set',
      'desk',
      '--officer',
      'req',
      '--supervisor',
      'sam',
      '--days',
      'all',
      '--start',
      '00:00',
      '--end',
      '00:00',
      '--zone',
      'Europe/Rome',
    ])

    const file = join(base, 'request.yaml')
    await writeFile(file, form())
    // sent by req: the one told to phone when FR is late
    const { caseId } = JSON.parse(
      await cli(a, ['request', 'send', '--to', 'FR', '--file', file, '--json'], req),
    ) as { caseId: string }

    // arrival: the officer on duty, with their phone
    const [officer] = await waitFor(
      async () => {
        const p = await pages('FR')
        return p.length >= 1 && p
      },
      { timeoutMs: 60_000, description: "FR's officer to be paged" },
    )
    expect(officer).toMatchObject({
      caseId,
      detail: { place: 'officer', person: 'alice', reason: 'new-request' },
    })
    expect(officer!.reach).toEqual({ person: 'alice', phone: '+3620000001' })

    const detail = await runCliJson<{ case: { openedAt: string }; ackDueAt: string }>(b, [
      'case',
      'show',
      caseId,
      '--json',
    ])
    const opened = Date.parse(detail.case.openedAt)
    const deadline = Date.parse(detail.ackDueAt) - opened

    // just short of the backup's share: no one more
    await clockTo(b, opened + BACKUP_SHARE * deadline - MINUTE)
    expect(await pages('FR')).toHaveLength(1)
    await clockTo(b, opened + BACKUP_SHARE * deadline + MINUTE)
    const backup = await waitFor(async () => (await pages('FR'))[1], "FR's backup to be paged")
    expect(backup).toMatchObject({ detail: { place: 'backup', person: 'bob', reason: 'unacknowledged' } })
    expect(backup.reach).toEqual({ person: 'bob', email: 'bob@fr.example' })

    await clockTo(b, opened + deadline + MINUTE)
    const supervisor = await waitFor(async () => (await pages('FR'))[2], "FR's supervisor to be paged")
    expect(supervisor).toMatchObject({ detail: { place: 'supervisor', person: 'sue' } })
    expect(supervisor.reach).toEqual({ person: 'sue', pager: 'SUE-7' })

    // the requesting side, past the deadline: the requester and its supervisor, with FR's desk number
    await clockTo(a, opened + deadline + MINUTE)
    const late = await waitFor(async () => {
      const p = await pages('IT')
      return p.length >= 2 && p
    }, "IT's requester and supervisor to be told")
    // both hooks run at once: their lines may come in either order
    const byPlace = late.sort((x, y) => String(x.detail?.place).localeCompare(String(y.detail?.place)))
    expect(byPlace.map((p) => [p.detail?.place, p.detail?.person, p.detail?.counterpartPhone])).toEqual([
      ['requester', 'req', '+3610000000'],
      ['supervisor', 'sam', '+3610000000'],
    ])
    expect(byPlace[0]!.summary).toMatch(/phone FR at \+3610000000/)
    expect(byPlace[0]!.reach).toEqual({ person: 'req', phone: '+3630000001' })

    // case show lists every page on both sides
    const shownB = await runCliJson<{ pages: PageView[] }>(b, ['case', 'show', caseId, '--json'])
    expect(shownB.pages.map((p) => [p.place, p.person])).toEqual([
      ['officer', 'alice'],
      ['backup', 'bob'],
      ['supervisor', 'sue'],
    ])
    expect(await cli(a, ['case', 'show', caseId])).toMatch(
      /req \(requester, shift desk\): not acknowledged in time: phone the counterpart at \+3610000000/,
    )

    // IT's supervisor swaps two shifts' officers and covers for req over Christmas
    const sam = await addUser(a, 'sam2', 'supervisor')
    await cli(
      a,
      [
        'duty',
        'set',
        'late',
        '--officer',
        'sam',
        '--days',
        'sat,sun',
        '--start',
        '18:00',
        '--end',
        '06:00',
        '--zone',
        'Europe/Rome',
      ],
      sam,
    )
    expect(await cli(a, ['duty', 'swap', 'desk', 'late'], sam)).toMatch(
      /desk is now sam's, late is now req's/,
    )
    await cli(
      a,
      [
        'duty',
        'cover',
        'sam2',
        '--for',
        'sam',
        '--from',
        '2026-12-24T08:00:00+01:00',
        '--until',
        '2026-12-26T08:00:00+01:00',
      ],
      sam,
    )
    const itRoster = await runCliJson<{
      shifts: Array<{ id: string; officer: string }>
      covers: Array<{ person: string; absent: string }>
    }>(a, ['duty', 'show', '--json'])
    expect(itRoster.shifts.map((s) => [s.id, s.officer])).toEqual([
      ['desk', 'sam'],
      ['late', 'req'],
    ])
    expect(itRoster.covers).toMatchObject([{ person: 'sam2', absent: 'sam' }])

    // once, across a restart: the same clock again pages no one
    expect(await stopNode(b)).toEqual({ code: 0, signal: null })
    await spawnNode(b, { env })
    await clockTo(b, opened + deadline + 2 * MINUTE)
    const again = await runCliJson<{ pages: PageView[] }>(b, ['case', 'show', caseId, '--json'])
    expect(again.pages).toHaveLength(3)
    expect(await pages('FR')).toHaveLength(3)

    // each page and each roster change in the ledger, never a person's channel
    expect(await stopNode(a)).toEqual({ code: 0, signal: null })
    expect(await stopNode(b)).toEqual({ code: 0, signal: null })
    const entries = (await ledgerEntries(b, ['admin-action']))['admin-action']
    const paged = entries.filter((e) => e.detail?.action === 'page')
    expect(paged.map((e) => [e.caseId, e.detail?.place, e.detail?.person])).toEqual([
      [caseId, 'officer', 'alice'],
      [caseId, 'backup', 'bob'],
      [caseId, 'supervisor', 'sue'],
    ])
    const changes = entries.filter((e) => String(e.detail?.action ?? '').startsWith('duty-'))
    expect(changes.map((e) => [e.actor, e.detail?.action])).toEqual([
      ['user:operator', 'duty-person-set'],
      ['user:operator', 'duty-person-set'],
      ['user:sue', 'duty-person-set'],
      ['user:sue', 'duty-shift-set'],
    ])
    const itChanges = (await ledgerEntries(a, ['admin-action']))['admin-action'].filter((e) =>
      String(e.detail?.action ?? '').startsWith('duty-'),
    )
    expect(itChanges.map((e) => [e.actor, e.detail?.action]).slice(-3)).toEqual([
      ['user:sam2', 'duty-shift-set'],
      ['user:sam2', 'duty-swap'],
      ['user:sam2', 'duty-cover'],
    ])
    const ledgerText = JSON.stringify(entries.map((e) => e.detail ?? {}))
    for (const secret of ['+3620000001', 'bob@fr.example', 'SUE-7']) expect(ledgerText).not.toContain(secret)
  })
})
