import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync } from 'node:fs'
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { DATA_DIR, readConfig, writeConfig } from '@pocnet/node'
import {
  flipStoredBlobByte,
  freePorts,
  KEEP_ENV,
  rewriteBundle,
  stripBundleCheckpoints,
  waitFor,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The pocnet CLI binary against real daemons it started itself (`pocnet start`): a two-country
// federation built with `pocnet init` and the roster ceremony, then each role's commands.

const BIN = fileURLToPath(new URL('../packages/cli/src/bin.js', import.meta.url))
const HOLD_LEDGER = fileURLToPath(new URL('./fixtures/hold-ledger-lock.ts', import.meta.url))
const COUNTRIES = ['IT', 'FR'] as const
type CC = (typeof COUNTRIES)[number]

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

let base: string
const tokens: Record<string, string> = {}
const daemons = new Map<CC, ChildProcess>()
/** The case IT sends to FR, followed through its life by the tests below. */
let caseId: string

function env(cc: CC, token: string | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('POCNET_') && k !== 'NO_COLOR') clean[k] = v
  return {
    ...clean,
    NO_COLOR: '1',
    TZ: 'UTC',
    // the CLI's compile cache goes to this run's folder, not the developer's ~/.cache/pocnet
    XDG_CACHE_HOME: join(base, 'cache'),
    POCNET_HOME: join(base, cc),
    POCNET_PASSPHRASE_FILE: join(base, `${cc}.pass`),
    ...(token === undefined ? {} : { POCNET_TOKEN: token }),
    ...extra,
  }
}

/** Runs `pocnet <args>` as a separate process, as `cc`'s user with `token`. */
function pocnet(
  cc: CC,
  token: string | undefined,
  args: string[],
  extra: NodeJS.ProcessEnv = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env(cc, token, extra) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs a command that must succeed and returns its stdout parsed as JSON. */
async function json<T = Record<string, unknown>>(
  cc: CC,
  token: string | undefined,
  args: string[],
): Promise<T> {
  const r = await pocnet(cc, token, args)
  expect(r.code, `pocnet ${args.join(' ')}\n${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout) as T
}

const op = (cc: CC) => tokens[`${cc}:operator`]!

function validForm(seen: string): string {
  return `schema: pocnet/preservation/v1
issuedAt: "${new Date().toISOString()}"
caseReference: "IT-E2E-0001"
urgency: urgent
language: en
requestingAuthority:
  name: "Polizia Postale"
  officer:
    name: "Isp. Giulia Rossi"
  phones: ["+39 06 0000 0001"]
  email: "247@it.example"
  officeHours: "24/7 desk"
  timeZone: Europe/Rome
  preferredChannel: pocnet
attachments: []
relatedCases: []
requestKind: new
offence:
  description: "Ransomware attack on a hospital"
facts: "Servers encrypted on 27 November; the ransom note points to a VPS in France."
data:
  description: "Connection logs of the VPS"
  relationToOffence: "The VPS ran the command-and-control server"
  identifiers:
    - type: ip
      address: 192.0.2.44
      timestamp: "${seen}"
custodian:
  provider: "Example Hosting SAS"
  country: FR
necessity: "The provider keeps logs for 7 days only."
mlaIntent:
  intendsToSubmit: true
`
}

/** Every case a country's node holds, finished ones too (`pocnet inbox --json --all`). */
async function allCases(
  cc: CC,
  token: string | undefined,
): Promise<Array<{ id: string; ackDueAt?: string | null }>> {
  return (
    await json<{ cases: Array<{ id: string; ackDueAt?: string | null }> }>(cc, token, [
      'inbox',
      '--json',
      '--all',
    ])
  ).cases
}

/** The argv of `pocnet request send` of `file` to `to`, with any more flags. */
function requestSend(to: string, file: string, ...flags: string[]): string[] {
  return ['request', 'send', '--to', to, '--file', file, ...flags]
}

/** IT's contact point sends the valid form under another case reference; returns the case id. */
async function sendFromItToFr(caseReference: string): Promise<string> {
  const form = validForm(new Date(Date.now() - 3_600_000).toISOString()).replace(
    'caseReference: "IT-E2E-0001"',
    `caseReference: "${caseReference}"`,
  )
  const file = join(base, `${caseReference}.yaml`)
  await writeFile(file, form)
  const sent = await json<{ caseId: string }>('IT', tokens['IT:contact'], requestSend('FR', file, '--json'))
  return sent.caseId
}

async function startDaemon(cc: CC): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'start', '--json'], { env: env(cc, undefined) })
  daemons.set(cc, child)
  let log = ''
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d).slice(-4000)
  })
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${cc}: no ready line\n${log}`)), 60_000)
    child.once('exit', (code) => {
      clearTimeout(guard)
      reject(new Error(`${cc}: pocnet start exited with ${code}\n${log}`))
    })
    lines.on('line', (line) => {
      if ((JSON.parse(line) as { ready?: boolean }).ready === true) {
        clearTimeout(guard)
        resolve()
      }
    })
  })
}

async function stopDaemon(cc: CC): Promise<number | null> {
  const child = daemons.get(cc)
  if (child === undefined || child.exitCode !== null) return child?.exitCode ?? null
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  const code = await exited
  daemons.delete(cc)
  return code
}

beforeAll(async () => {
  // short: Unix socket paths are limited to ~107 bytes
  base = await mkdtemp(join(tmpdir(), 'pocnet-cli-'))
  const ports = await freePorts(COUNTRIES.length)
  const peers: Record<string, string> = {}
  for (const [i, cc] of COUNTRIES.entries()) {
    await writeFile(join(base, `${cc}.pass`), `e2e passphrase of ${cc}\n`, { mode: 0o600 })
    const init = await json<{ peerId: string; operatorToken: string; memberFile: string }>(cc, undefined, [
      'init',
      '--json',
      '--country',
      cc,
      '--name',
      `${cc} e2e desk`,
      '--network',
      'cli-e2e',
      '--unit',
      `${cc} 24/7`,
      '--phone',
      `+33 1 00 00 00 0${i}`,
      '--email',
      `desk@${cc.toLowerCase()}.example`,
      '--time-zone',
      'Europe/Paris',
      '--service',
      'preservation',
      '--listen',
      `/ip4/127.0.0.1/tcp/${ports[i]}`,
    ])
    expect(init.memberFile).toBe(join(base, cc, 'member.json'))
    tokens[`${cc}:operator`] = init.operatorToken
    peers[cc] = `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${init.peerId}`
  }
  // the genesis ceremony, every step through the CLI
  const genesis = join(base, 'genesis.json')
  const members = COUNTRIES.flatMap((cc) => ['--member', join(base, cc, 'member.json')])
  expect(
    (await pocnet('IT', undefined, ['roster', 'genesis', '--threshold', '2', '--out', genesis, ...members]))
      .code,
  ).toBe(0)
  for (const cc of COUNTRIES) {
    const signed = await pocnet(cc, undefined, ['roster', 'sign', genesis, '--out', join(base, `${cc}.sig`)])
    expect(signed.code, signed.stderr).toBe(0)
  }
  const sigs = COUNTRIES.flatMap((cc) => ['--sig', join(base, `${cc}.sig`)])
  const combined = await pocnet('IT', undefined, ['roster', 'combine', genesis, ...sigs])
  expect(combined.code, combined.stderr).toBe(0)
  await copyFile(join(base, 'IT', 'roster.cbor'), join(base, 'FR', 'roster.cbor'))
  for (const cc of COUNTRIES) {
    const config = await readConfig(join(base, cc))
    await writeConfig(join(base, cc), {
      ...config,
      bootstrap: COUNTRIES.filter((o) => o !== cc).map((o) => peers[o]!),
    })
  }
  await Promise.all(COUNTRIES.map(startDaemon))
  for (const cc of COUNTRIES) {
    for (const [name, role] of [
      ['duty', 'contact'],
      ['audit', 'auditor'],
    ] as const) {
      const added = await json<{ token: string; role: string }>(cc, op(cc), [
        'user',
        'add',
        name,
        '--role',
        role,
        '--json',
      ])
      expect(added.role).toBe(role)
      tokens[`${cc}:${role}`] = added.token
    }
  }
  // IT can reach FR: connected, and FR's record found through the directory
  await waitFor(
    async () => {
      await pocnet('FR', op('FR'), ['directory', 'publish'])
      const r = await pocnet('IT', op('IT'), ['directory', 'show', 'FR', '--json'])
      return r.code === 0
    },
    { timeoutMs: 90_000, intervalMs: 500, description: 'IT to find FR in the directory' },
  )
}, 240_000)

afterAll(async () => {
  for (const cc of COUNTRIES) {
    const child = daemons.get(cc)
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL')
  }
  if (base === undefined) return
  if (process.env[KEEP_ENV]) process.stderr.write(`${KEEP_ENV}: keeping ${base}\n`)
  else await rm(base, { recursive: true, force: true })
})

describe('pocnet CLI against real daemons', () => {
  it('roster show/verify, status, peers, directory and user commands print JSON that parses', async () => {
    const roster = await json<{ version: number; threshold: number; members: Array<{ country: string }> }>(
      'FR',
      undefined,
      ['roster', 'show', '--json'],
    )
    expect(roster.version).toBe(0)
    expect(roster.threshold).toBe(2)
    expect(roster.members.map((m) => m.country).sort()).toEqual(['FR', 'IT'])
    const verified = await json<{ ok: boolean }>('FR', undefined, [
      'roster',
      'verify',
      join(base, 'FR', 'roster.cbor'),
      '--json',
    ])
    expect(verified.ok).toBe(true)
    // offering the node the chain it already holds changes nothing
    const pushed = await json<{ outcome: string; version: number }>('FR', op('FR'), [
      'roster',
      'push',
      '--json',
    ])
    expect(pushed).toEqual({ outcome: 'current', version: 0 })

    const status = await json<{ country: string; network: string; peersConnected: number }>('IT', op('IT'), [
      'status',
      '--json',
    ])
    expect(status).toMatchObject({ country: 'IT', network: 'cli-e2e' })
    expect(status.peersConnected).toBeGreaterThanOrEqual(1)

    const { peers } = await json<{ peers: Array<{ country: string }> }>('IT', op('IT'), ['peers', '--json'])
    expect(peers.map((p) => p.country)).toContain('FR')

    const { countries } = await json<{ countries: Array<{ country: string; member: boolean }> }>(
      'IT',
      op('IT'),
      ['directory', 'list', '--json'],
    )
    expect(
      countries
        .filter((c) => c.member)
        .map((c) => c.country)
        .sort(),
    ).toEqual(['FR', 'IT'])

    const fr = await json<{ record: { country: string; phone: string; email: string } }>(
      'IT',
      tokens['IT:contact'],
      ['directory', 'show', 'FR', '--json'],
    )
    expect(fr.record).toMatchObject({ country: 'FR', phone: '+33100000001', email: 'desk@fr.example' })

    const { users } = await json<{ users: Array<{ name: string; role: string }> }>('IT', op('IT'), [
      'user',
      'list',
      '--json',
    ])
    expect(users.map((u) => `${u.name}:${u.role}`).sort()).toEqual([
      'audit:auditor',
      'duty:contact',
      'operator:operator',
    ])

    // human output too
    const text = await pocnet('IT', op('IT'), ['status'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/IT on cli-e2e/)
    // the rejection counts are always shown, so an operator sees that nothing was refused
    expect(text.stdout).toMatch(/^ {2}rejected {7}none since start$/m)
    expect(text.stdout).toMatch(/^ {2}refused conns {2}none since start$/m)
  })

  it('refuses a wrong token, with a hint', async () => {
    const r = await pocnet('IT', 'pn_not-a-real-token', ['status'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: missing or unknown token \(401\)$/m)
    expect(r.stderr).toMatch(/^hint: set POCNET_TOKEN/m)
    expect(r.stdout).toBe('')
  })

  it('an auditor token cannot send a request', async () => {
    const form = join(base, 'auditor-form.yaml')
    await writeFile(form, validForm(new Date(Date.now() - 3_600_000).toISOString()))
    const r = await pocnet('IT', tokens['IT:auditor'], requestSend('FR', form, '--type', 'preservation'))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: role auditor may not POST \/cases \(403\)$/m)
    expect(r.stderr).toMatch(/^hint: this needs one of: operator, contact, supervisor$/m)
    const cases = await allCases('IT', tokens['IT:auditor'])
    expect(cases).toEqual([])
  })

  it('a contact-point token cannot add users', async () => {
    const r = await pocnet('FR', tokens['FR:contact'], ['user', 'add', 'intruder', '--role', 'operator'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: role contact may not POST \/users \(403\)$/m)
    expect(r.stderr).toMatch(/^hint: this needs one of: operator$/m)
    const { users } = await json<{ users: Array<{ name: string }> }>('FR', op('FR'), [
      'user',
      'list',
      '--json',
    ])
    expect(users.map((u) => u.name)).not.toContain('intruder')
  })

  it('request send lists every problem of a bad form and sends nothing; a good form goes through', async () => {
    const seen = new Date(Date.now() - 3_600_000).toISOString()
    // three problems: an unknown urgency, no facts, an IP address without its timestamp
    const bad = validForm(seen)
      .replace('urgency: urgent', 'urgency: soon')
      .replace(/^facts: .*\n/m, '')
      .replace(`      timestamp: "${seen}"\n`, '')
    const badFile = join(base, 'bad.yaml')
    await writeFile(badFile, bad)
    // FR watches its inbox live: the bad form must not show up, the good one must
    const watcher = spawn(process.execPath, [BIN, 'inbox', '--watch', '--json'], {
      env: env('FR', tokens['FR:contact']),
    })
    const events: Array<{ type: string; caseId: string }> = []
    createInterface({ input: watcher.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { type?: string; caseId?: string; cases?: unknown }
      if (parsed.type !== undefined) events.push(parsed as { type: string; caseId: string })
    })
    try {
      const r = await pocnet('IT', tokens['IT:contact'], requestSend('FR', badFile, '--type', 'preservation'))
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^error: .*bad\.yaml: 3 problems; nothing was sent$/m)
      expect(r.stderr).toMatch(/^ {2}urgency: .*\[enum\]$/m)
      expect(r.stderr).toMatch(/^ {2}facts: .*\[required\]$/m)
      expect(r.stderr).toMatch(/^ {2}data\.identifiers\[0\]\.timestamp: .*\[required\]$/m)
      expect(r.stderr).toMatch(/^hint: /m)
      const itCases = await allCases('IT', tokens['IT:contact'])
      expect(itCases).toEqual([])

      const goodFile = join(base, 'good.yaml')
      await writeFile(goodFile, validForm(seen))
      const sent = await json<{ sent: boolean; caseId: string }>(
        'IT',
        tokens['IT:contact'],
        requestSend('FR', goodFile, '--type', 'preservation', '--json'),
      )
      expect(sent.sent).toBe(true)
      caseId = sent.caseId
      await waitFor(() => events.some((e) => e.type === 'new-request' && e.caseId === sent.caseId), {
        timeoutMs: 60_000,
        description: 'the watcher to print the new request',
      })
      // sending the same form again is a retry, not a second request (idempotency key from the form)
      const again = await json<{ caseId: string }>(
        'IT',
        tokens['IT:contact'],
        requestSend('FR', goodFile, '--json'),
      )
      expect(again.caseId).toBe(sent.caseId)
      // and the text says so, rather than 'request sent'
      const againText = await pocnet('IT', tokens['IT:contact'], requestSend('FR', goodFile))
      expect(againText.stdout).toMatch(
        new RegExp(`^✓ already sent to FR: case ${sent.caseId} .*no second request went out$`, 'm'),
      )
      // only the good request reached FR, once
      const frCases = await allCases('FR', tokens['FR:contact'])
      expect(frCases.map((c) => c.id)).toEqual([sent.caseId])
      // before the acknowledgement, case show gives its deadline, as the inbox does
      const unacked = await pocnet('FR', tokens['FR:contact'], ['case', 'show', sent.caseId])
      expect(unacked.stdout).toMatch(/^ {2}ack due {6}\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in /m)
      const unackedJson = await json<{ ackDueAt: string | null }>('FR', tokens['FR:contact'], [
        'case',
        'show',
        sent.caseId,
        '--json',
      ])
      expect(unackedJson.ackDueAt).toBe(frCases[0]!.ackDueAt)

      const ack = await pocnet('FR', tokens['FR:contact'], [
        'case',
        'ack',
        sent.caseId,
        '--by',
        'Cdt. Marie Dupont',
      ])
      expect(ack.code, ack.stderr).toBe(0)
      await waitFor(
        async () => {
          const d = await json<{ case: { status: string; acknowledgement?: { by: string } } }>(
            'IT',
            tokens['IT:contact'],
            ['case', 'show', sent.caseId, '--json'],
          )
          return d.case.acknowledgement?.by === 'Cdt. Marie Dupont'
        },
        { timeoutMs: 60_000, intervalMs: 500, description: "IT to see FR's acknowledgement" },
      )
    } finally {
      watcher.kill('SIGTERM')
    }
  })

  it('a case through preserve, extension, Art. 30 disclosure and follow-up, MLA and close', async () => {
    const contact = (cc: CC) => tokens[`${cc}:contact`]!
    const statusAt = async (cc: CC) =>
      (await json<{ case: { status: string } }>(cc, contact(cc), ['case', 'show', caseId, '--json'])).case
        .status
    const waitStatus = (cc: CC, status: string) =>
      waitFor(async () => (await statusAt(cc)) === status, {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `${cc} to see case ${caseId} ${status}`,
      })
    const ok = async (cc: CC, args: string[]) => {
      const r = await pocnet(cc, contact(cc), args)
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0)
      return r
    }

    const preserved = await ok('FR', [
      'case',
      'preserve',
      caseId,
      '--provider-ref',
      'EXH-4471',
      '--days',
      '90',
    ])
    expect(preserved.stdout).toMatch(/status now preserved/)
    await waitStatus('IT', 'preserved')
    const shown = await json<{
      case: { preservation: { current: { grantedDays: number; expiresAt: string } } }
    }>('IT', contact('IT'), ['case', 'show', caseId, '--json'])
    expect(shown.case.preservation.current.grantedDays).toBe(90)
    const firstExpiry = Date.parse(shown.case.preservation.current.expiresAt)

    await ok('IT', ['case', 'extend', caseId, '--reason', 'the MLA request is delayed', '--days', '90'])
    await waitStatus('FR', 'extension-requested')
    // the wrong side cannot grant: the node refuses and says what may happen next
    const wrongSide = await pocnet('IT', contact('IT'), ['case', 'extend', caseId, '--grant', '--days', '90'])
    expect(wrongSide.code).toBe(1)
    expect(wrongSide.stderr).toMatch(/^error: .*extension-granted/m)
    // the hint gives what this side can run instead, as commands
    expect(wrongSide.stderr).toMatch(
      new RegExp(
        `^hint: the requester side can now run: pocnet case mla ${caseId}; pocnet case withdraw ${caseId}$`,
        'm',
      ),
    )
    await ok('FR', ['case', 'extend', caseId, '--grant', '--days', '90'])
    await waitFor(
      async () => {
        const d = await json<{ case: { preservation: { current: { expiresAt: string } } } }>(
          'IT',
          contact('IT'),
          ['case', 'show', caseId, '--json'],
        )
        return Date.parse(d.case.preservation.current.expiresAt) > firstExpiry
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'IT to see the extension' },
    )
    // the first period and the extension, not the extension's days alone
    expect((await ok('IT', ['case', 'show', caseId])).stdout).toMatch(
      /^ {2}preserved {4}ref EXH-4471, 90 \+ 90 days \(extended once\), until /m,
    )

    // the node refuses the step: each problem is named by the flag typed, an item by its number
    const badDisclosure = await pocnet('FR', contact('FR'), [
      'case',
      'disclose',
      caseId,
      '--third-country',
      'XX',
      '--provider',
      'Example Cloud Inc.',
      '--traffic-data',
      'administered over SSH',
      '--identifier',
      `{type: ip, address: 198.51.100.23, timestamp: "${new Date(Date.now() - 7_200_000).toISOString()}"}`,
      '--identifier',
      `{type: ip, address: not-an-ip, timestamp: "${new Date(Date.now() - 7_200_000).toISOString()}"}`,
    ])
    expect(badDisclosure.code).toBe(1)
    expect(badDisclosure.stderr).toMatch(/^ {2}--third-country: 'XX' is not .*\[format\]$/m)
    expect(badDisclosure.stderr).toMatch(
      /^ {2}--identifier #2 address: 'not-an-ip' is not an IPv4 .*\[format\]$/m,
    )
    expect(badDisclosure.stderr).not.toMatch(/thirdCountry|identifiers\[/)
    await ok('FR', [
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
    await waitStatus('IT', 'partially-disclosed')
    // the path also crossed the Netherlands: a second disclosure, each followed up on its own
    const firstDisclosures = await json<{ case: { history: unknown[] } }>('IT', contact('IT'), [
      'case',
      'show',
      caseId,
      '--json',
    ])
    await ok('FR', [
      'case',
      'disclose',
      caseId,
      '--third-country',
      'NL',
      '--provider',
      'Voorbeeld Hosting B.V.',
      '--traffic-data',
      'relayed through a VPS in Amsterdam',
      '--identifier',
      `{type: ip, address: 203.0.113.40, timestamp: "${new Date(Date.now() - 7_200_000).toISOString()}"}`,
    ])
    await waitFor(
      async () =>
        (
          await json<{ case: { history: unknown[] } }>('IT', contact('IT'), [
            'case',
            'show',
            caseId,
            '--json',
          ])
        ).case.history.length > firstDisclosures.case.history.length,
      { timeoutMs: 60_000, intervalMs: 500, description: 'IT to see the second disclosure' },
    )
    const disclosed = await ok('IT', ['case', 'show', caseId])
    expect(disclosed.stdout).toContain(`pocnet case followup ${caseId} --third-country US --out req.yaml`)
    expect(disclosed.stdout).toContain(`pocnet case followup ${caseId} --third-country NL --out req.yaml`)
    const latest = await ok('IT', ['case', 'followup', caseId, '--out', join(base, 'followup-nl.yaml')])
    expect(latest.stdout).toMatch(/preservation request to NL/)
    const none = await pocnet('IT', contact('IT'), [
      'case',
      'followup',
      caseId,
      '--third-country',
      'JP',
      '--out',
      join(base, 'followup-jp.yaml'),
    ])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/has no Art\. 30 disclosure naming JP \(its disclosures name US, NL\)/)
    const followup = join(base, 'followup.yaml')
    const written = await ok('IT', ['case', 'followup', caseId, '--third-country', 'US', '--out', followup])
    expect(written.stdout).toMatch(/preservation request to US/)
    const form = await readFile(followup, 'utf8')
    expect(form).toContain('Example Cloud Inc.')
    expect(form).toMatch(new RegExp(`relation: follow-up-of[\\s\\S]*caseId: ${caseId}`))
    // the drafted form has no problems; US is no member of this two-country federation, and --check
    // says so only once the form passed (form problems would come first)
    const checked = await pocnet(
      'IT',
      contact('IT'),
      requestSend('US', followup, '--type', 'preservation', '--check'),
    )
    expect(checked.code).toBe(1)
    expect(checked.stderr).toMatch(/^error: --to US: not a member of the federation/m)
    expect(checked.stderr).not.toMatch(/problem/)

    await ok('IT', ['case', 'mla', caseId, '--mla-ref', 'MLA/2026/118'])
    await waitStatus('FR', 'mla-submitted')
    // Art. 29(7): the data stays preserved until the requester releases it; only then may the case close
    await ok('IT', ['case', 'release', caseId, '--all', '--reason', 'data received under MLA'])
    await ok('IT', ['case', 'close', caseId, '--reason', 'data received under MLA'])
    await waitStatus('FR', 'closed')
    const open = await json<{ cases: unknown[] }>('FR', contact('FR'), ['inbox', '--json'])
    expect(open.cases).toEqual([])
  })

  it('a case through progress, a question and its answer, an Art. 29(6) limitation, and withdrawal', async () => {
    const contact = (cc: CC) => tokens[`${cc}:contact`]!
    const ok = async (cc: CC, args: string[]) => {
      const r = await pocnet(cc, contact(cc), args)
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0)
      return r
    }
    const file = join(base, 'second-request.yaml')
    await writeFile(
      file,
      validForm(new Date(Date.now() - 3_600_000).toISOString()).replace('IT-E2E-0001', 'IT-E2E-0002'),
    )
    // --check reads the local roster: a country outside the federation is caught before sending
    const notMember = await pocnet('IT', contact('IT'), requestSend('DE', file, '--check'))
    expect(notMember.code).toBe(1)
    expect(notMember.stderr).toMatch(/^error: --to DE: not a member of the federation/m)
    expect(notMember.stderr).toMatch(/^hint: the members are FR, IT/m)
    const { caseId: id } = await json<{ caseId: string }>(
      'IT',
      contact('IT'),
      requestSend('FR', file, '--json'),
    )
    const show = (cc: CC) =>
      json<{
        case: { status: string }
        events: Array<{ kind: string; answer?: string }>
      }>(cc, contact(cc), ['case', 'show', id, '--json'])
    const waitStatus = (cc: CC, status: string) =>
      waitFor(async () => (await show(cc)).case.status === status, {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `${cc} to see case ${id} ${status}`,
      })

    await waitFor(async () => (await allCases('FR', contact('FR'))).some((c) => c.id === id), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'FR to hold the second request',
    })
    await ok('FR', ['case', 'ack', id, '--by', 'Cdt. Marie Dupont'])
    await ok('FR', ['case', 'progress', id, '--text', 'order served on the provider'])
    await waitStatus('IT', 'in-progress')
    // the flag's old name still works, hidden, and says once which flag replaces it
    const asked = await ok('FR', [
      'case',
      'ask',
      id,
      '--questions',
      'Which time zone are the log timestamps in?',
    ])
    expect(asked.stderr).toBe(
      'warning: --questions is deprecated, use --text (the old name will be removed)\n',
    )
    await waitStatus('IT', 'needs-information')
    // only the requester answers: the requested side is told what it may do instead
    const wrongSide = await pocnet('FR', contact('FR'), ['case', 'inform', id, '--text', 'UTC'])
    expect(wrongSide.code).toBe(1)
    expect(wrongSide.stderr).toMatch(/^error: .*information-provided/m)
    expect(wrongSide.stderr).toMatch(
      new RegExp(
        `^hint: the requested side can now run: pocnet case refuse ${id}; pocnet case not-executed ${id}$`,
        'm',
      ),
    )
    const informed = await ok('IT', ['case', 'inform', id, '--text', 'UTC, as the provider logs'])
    expect(informed.stderr).toBe('')
    await waitStatus('FR', 'in-progress')
    const limit = await pocnet('FR', contact('FR'), [
      'case',
      'limit',
      id,
      '--limit',
      'everything',
      '--text',
      'x',
    ])
    expect(limit.code).toBe(2)
    expect(limit.stderr).toMatch(/--limit.*availability-not-ensured, confidentiality-threatened/)
    await ok('FR', [
      'case',
      'limit',
      id,
      '--limit',
      'confidentiality-threatened',
      '--text',
      'The provider would alert its customer',
    ])
    await waitStatus('IT', 'limitation-notified')
    await ok('IT', ['case', 'proceed', id, '--text', 'Proceed; the prosecutor accepts the risk'])
    await waitStatus('FR', 'in-progress')
    await ok('IT', ['case', 'withdraw', id, '--reason', 'suspect identified by other means'])
    await waitStatus('FR', 'withdrawn')
    const atFr = await show('FR')
    // each command's event, in the order sent (the state machine allows no other)
    expect(atFr.events.map((e) => e.kind)).toEqual([
      'delivered',
      'acknowledged',
      'in-progress',
      'information-requested',
      'information-provided',
      'limitation-notified',
      'proceed-confirmed',
      'withdrawn',
    ])
    expect(atFr.events.find((e) => e.kind === 'information-provided')?.answer).toBe(
      'UTC, as the provider logs',
    )
  })

  it('ledger commands: log, prove, export; verify names the entry of a tampered copy', async () => {
    const auditor = tokens['FR:auditor']!
    const cp = await pocnet('FR', auditor, ['ledger', 'checkpoint'])
    expect(cp.code, cp.stderr).toBe(0)
    const { entries } = await json<{
      entries: Array<{ seq: number; kind: string; detail?: Record<string, unknown> }>
    }>('FR', auditor, ['ledger', 'log', '--kind', 'admin-action', '--json'])
    const target = entries.find((e) => e.detail?.action === 'user-add' && e.detail?.name === 'duty')
    const since = new Date(Date.now() - 3_600_000).toISOString()
    const aboutIt = await json<{ entries: Array<{ counterpart?: string }> }>('FR', auditor, [
      'ledger',
      'log',
      '--country',
      'IT',
      '--from',
      since,
      '--json',
    ])
    expect(aboutIt.entries.length).toBeGreaterThan(0)
    expect(aboutIt.entries.every((e) => e.counterpart === 'IT')).toBe(true)
    const none = await json<{ entries: unknown[] }>('FR', auditor, ['ledger', 'log', '--to', since, '--json'])
    expect(none.entries).toEqual([])
    expect(target).toBeDefined()
    const proof = await json<{ seq: number; entry: string; verifiedLocally: string }>('FR', auditor, [
      'ledger',
      'prove',
      String(target!.seq),
      '--json',
    ])
    expect(proof.verifiedLocally).toBe('ok')

    const bundle = join(base, 'fr.bundle')
    const exported = await json<{
      path: string
      entries: number
      checkpoint: { size: number }
      witnesses: { cosigners: string[]; required: number; meetsPolicy: boolean }
    }>('FR', auditor, ['ledger', 'export', '--out', bundle, '--json'])
    expect(exported.entries).toBeGreaterThan(target!.seq)
    expect(exported.checkpoint.size).toBe(exported.entries)
    // the export waited for IT to cosign its checkpoint: the default witness check passes
    expect(exported.witnesses).toEqual({ cosigners: ['IT'], required: 1, meetsPolicy: true })
    const pristine = await json<{ ok: boolean; entries: number }>('FR', undefined, [
      'ledger',
      'verify',
      '--bundle',
      bundle,
      '--country',
      'FR',
      '--json',
    ])
    // the export signed a checkpoint first: nothing in the bundle is left unvouched for
    expect(pristine).toMatchObject({
      ok: true,
      entries: exported.entries,
      latestCheckpointSize: exported.entries,
      unsignedEntries: 0,
    })
    const text = await pocnet('FR', undefined, ['ledger', 'verify', '--bundle', bundle, '--country', 'FR'])
    expect(text.stdout).toMatch(/\(pinned\)$/m)
    expect(text.stdout).not.toMatch(/vouches for/)
    expect(text.stdout).toMatch(
      /^ {2}witnesses 1 of 1 required cosigned the latest checkpoint \(size \d+\): IT$/m,
    )
    // a bundle of blob hashes: the report says what that leaves unchecked, and how to check it
    expect(text.stdout).toMatch(/^ {2}blobs {4}\d+ referenced, 0 hash-checked, [1-9]\d* presence only$/m)
    expect(text.stdout).toMatch(/presence only: the bundle holds their hashes, not their bytes/)

    // the tampered copy: the target entry's kind rewritten in place, every other byte the same
    const bytes = await readFile(bundle)
    const entryBytes = Buffer.from(proof.entry, 'hex')
    const at = bytes.indexOf(entryBytes)
    expect(at).toBeGreaterThan(0)
    const kindAt = bytes.indexOf(Buffer.from('admin-action'), at)
    expect(kindAt).toBeGreaterThan(at)
    expect(kindAt).toBeLessThan(at + entryBytes.length)
    const tampered = Buffer.from(bytes)
    tampered.write('admin-actiom', kindAt)
    const tamperedFile = join(base, 'fr-tampered.bundle')
    await writeFile(tamperedFile, tampered)
    const r = await pocnet('FR', undefined, ['ledger', 'verify', '--bundle', tamperedFile, '--country', 'FR'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      new RegExp(`^error: ledger invalid at entry ${target!.seq}: entry ${target!.seq} `, 'm'),
    )

    // the bundle stripped of every checkpoint: nothing signed covers it, so it fails, key pinned or not
    const stripped = join(base, 'fr-stripped.bundle')
    await stripBundleCheckpoints(bundle, stripped)
    const unsigned = await pocnet('FR', undefined, [
      'ledger',
      'verify',
      '--bundle',
      stripped,
      '--country',
      'FR',
    ])
    expect(unsigned.code).toBe(1)
    expect(unsigned.stderr).toMatch(/^error: ledger invalid at entry 0: no signed checkpoint covers any of/m)
    expect(unsigned.stderr).toMatch(/^hint: .*--allow-unsigned-tail/m)
    const allowed = await pocnet('FR', undefined, [
      'ledger',
      'verify',
      '--bundle',
      stripped,
      '--country',
      'FR',
      '--allow-unsigned-tail',
      '--witnesses',
      '0',
    ])
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(allowed.stdout).toMatch(
      /^! no signed checkpoint: nothing signed vouches for these \d+ entries yet/m,
    )

    const audit = await json<{ country: string; cases: number }>('FR', auditor, ['audit', 'report', '--json'])
    // the request of the earlier tests, and the second one, withdrawn
    expect(audit).toMatchObject({ country: 'FR', cases: 2 })
  })

  it("audit reconcile: IT's and FR's exports match message by message; a rewritten FR ledger fails naming the message", async () => {
    // nothing in flight: every message of the earlier tests delivered and its receipt stored
    await waitFor(
      async () => {
        for (const cc of COUNTRIES)
          if ((await json<{ outboxDepth: number }>(cc, op(cc), ['status', '--json'])).outboxDepth !== 0)
            return false
        return true
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'both outboxes to be empty' },
    )
    const bundles: Record<CC, string> = { IT: join(base, 'it-audit.pnlb'), FR: join(base, 'fr-audit.pnlb') }
    for (const cc of COUNTRIES)
      await json(cc, tokens[`${cc}:auditor`], [
        'ledger',
        'export',
        '--out',
        bundles[cc],
        '--include-blob-bytes',
        '--json',
      ])

    // the auditor's data directory (FR's here) holds the roster both bundles are pinned to
    const ok = await pocnet('FR', undefined, ['audit', 'reconcile', bundles.IT, bundles.FR])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^✓ IT and FR reconcile: IT→FR [1-9]\d* matched, FR→IT [1-9]\d* matched\n$/)
    expect(ok.stderr).toBe('')
    const report = await json<{
      ok: boolean
      a: { country: string; pinned: boolean }
      b: { country: string; pinned: boolean }
      directions: Array<{ sent: number; matched: number; receipts: { signatureChecked: number } }>
      mismatches: unknown[]
    }>('FR', undefined, ['audit', 'reconcile', bundles.IT, bundles.FR, '--json'])
    expect(report).toMatchObject({
      ok: true,
      a: { country: 'IT', pinned: true },
      b: { country: 'FR', pinned: true },
    })
    for (const d of report.directions) {
      // every message sent either way matched, each receipt checked by its signature
      expect(d.matched).toBe(d.sent)
      expect(d.receipts.signatureChecked).toBe(d.matched)
    }

    // FR's operator rewrites FR's ledger without a message received from IT and re-signs it with
    // FR's key: no member cosigned the new checkpoints, which the witness requirement catches;
    // without it (--witnesses 0) it verifies, and reconciliation names the message
    const { entries } = await json<{ entries: Array<{ messageId?: string }> }>('FR', tokens['FR:auditor'], [
      'ledger',
      'log',
      '--kind',
      'message-received',
      '--country',
      'IT',
      '--json',
    ])
    const dropped = entries[0]?.messageId
    expect(dropped).toBeDefined()
    const rewritten = join(base, 'fr-rewritten.pnlb')
    await rewriteBundle({
      bundle: bundles.FR,
      out: rewritten,
      keyFile: join(base, 'FR', DATA_DIR.key),
      passphrase: 'e2e passphrase of FR',
      drop: (e) => e.kind === 'message-received' && e.messageId === dropped,
    })
    const unwitnessed = await pocnet('FR', undefined, [
      'ledger',
      'verify',
      '--bundle',
      rewritten,
      '--country',
      'FR',
    ])
    expect(unwitnessed.code).toBe(1)
    expect(unwitnessed.stderr).toMatch(
      /carries 0 valid cosignature\(s\) of distinct current members, 1 required/,
    )
    const verified = await pocnet('FR', undefined, [
      'ledger',
      'verify',
      '--bundle',
      rewritten,
      '--country',
      'FR',
      '--witnesses',
      '0',
    ])
    expect(verified.code, verified.stderr).toBe(0)
    const caught = await pocnet('FR', undefined, ['audit', 'reconcile', bundles.IT, rewritten])
    expect(caught.code).toBe(1)
    expect(caught.stdout).toMatch(/^✗ IT and FR do not reconcile: 1 mismatch\(es\)/)
    expect(caught.stdout).toMatch(
      new RegExp(`^IT +FR +${dropped} +sent-not-received +IT holds FR's receipt`, 'm'),
    )
    expect(caught.stderr).toMatch(/^error: 1 message\(s\) do not reconcile between IT and FR$/m)

    // a bundle altered in place fails verification: refused, naming it, before any comparison
    const altered = Buffer.from(await readFile(bundles.FR))
    const at = altered.indexOf('message-received')
    expect(at).toBeGreaterThan(0)
    altered.write('message-receivez', at)
    const alteredFile = join(base, 'fr-altered.pnlb')
    await writeFile(alteredFile, altered)
    const refused = await pocnet('FR', undefined, ['audit', 'reconcile', bundles.IT, alteredFile])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(
      /^error: bundle B \(.*fr-altered\.pnlb\) fails verification at entry \d+: /m,
    )
  })

  it('killing the sending daemon mid-send and restarting it loses nothing', async () => {
    const sent: string[] = []
    for (let i = 0; i < 4; i++) {
      sent.push(await sendFromItToFr(`IT-E2E-KILL-${i}`))
    }
    // every send above was acknowledged by IT's daemon (stored durably); kill it before it can finish delivering
    const it_ = daemons.get('IT')!
    const killed = new Promise((resolve) => it_.once('exit', resolve))
    it_.kill('SIGKILL')
    await killed
    daemons.delete('IT')
    await startDaemon('IT')
    await waitFor(
      async () => {
        const fr = await allCases('FR', tokens['FR:contact'])
        return sent.every((id) => fr.some((c) => c.id === id))
      },
      { timeoutMs: 90_000, intervalMs: 1000, description: "FR to hold every request IT's CLI reported sent" },
    )
    const fr = await allCases('FR', tokens['FR:contact'])
    for (const id of sent) expect(fr.filter((c) => c.id === id)).toHaveLength(1)
  })

  it('inbox --watch follows the node across a restart and shows what arrived while it reconnected', async () => {
    const watcher = spawn(process.execPath, [BIN, 'inbox', '--watch', '--json'], {
      env: env('FR', tokens['FR:contact']),
    })
    const events: Array<{ type: string; caseId: string }> = []
    let watching = false
    createInterface({ input: watcher.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { type?: string; caseId?: string; watching?: boolean }
      if (parsed.watching === true) watching = true
      if (parsed.type !== undefined) events.push(parsed as { type: string; caseId: string })
    })
    try {
      await waitFor(() => watching, { timeoutMs: 30_000, description: 'the watcher to start' })
      expect(await stopDaemon('FR')).toBe(0)
      await startDaemon('FR')
      // a request that reaches FR before the watcher has noticed the restart must still be shown
      const caseId = await sendFromItToFr('IT-E2E-WATCH')
      await waitFor(() => events.some((e) => e.type === 'new-request' && e.caseId === caseId), {
        timeoutMs: 90_000,
        description: 'the watcher to print the request sent after the restart',
      })
      expect(events.filter((e) => e.type === 'new-request' && e.caseId === caseId)).toHaveLength(1)
      expect(watcher.exitCode).toBeNull()
    } finally {
      watcher.kill('SIGTERM')
    }
  })

  it('backup refuses while the daemon runs; after a clean stop the data directory verifies and backs up', async () => {
    const refused = await pocnet('FR', undefined, ['backup', '--out', join(base, 'fr-backup')])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error: a pocnet daemon is running on this data directory/m)
    expect(await stopDaemon('FR')).toBe(0)
    const verified = await json<{ ok: boolean; entries: number; problem: unknown }>('FR', undefined, [
      'ledger',
      'verify',
      '--witnesses',
      '0',
      '--json',
    ])
    expect(verified.ok).toBe(true)
    // a clean stop signed the last entries: nothing is left unvouched for
    expect(verified).toMatchObject({ unsignedEntries: 0, unsignedFrom: null })
    // one bit of a stored blob flipped in the table file: found without the passphrase
    for (const offset of [0, 30]) {
      const copy = join(base, `FR-flipped-${offset}`)
      // regular files and folders only: a control socket left behind is no part of the copy
      await cp(join(base, 'FR'), copy, {
        recursive: true,
        filter: (from) => {
          const info = lstatSync(from)
          return info.isFile() || info.isDirectory()
        },
      })
      const blob = await flipStoredBlobByte(copy, offset)
      const flipped = await pocnet('FR', undefined, ['--data-dir', copy, 'ledger', 'verify'])
      expect(flipped.code).toBe(1)
      expect(flipped.stderr).toMatch(
        new RegExp(
          `^error: ledger invalid at entry \\d+: entry \\d+ refers to blob ${blob}, whose stored bytes were altered`,
          'm',
        ),
      )
      await rm(copy, { recursive: true, force: true })
    }
    const backup = await pocnet('FR', undefined, ['backup', '--out', join(base, 'fr-backup')])
    expect(backup.code, backup.stderr).toBe(0)
    expect(backup.stdout).toMatch(/ledger copy verified: \d+ entries/)
    const again = await pocnet('FR', undefined, ['restore', '--from', join(base, 'fr-backup')])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already holds a node/)
    const restored = await pocnet('FR', undefined, [
      '--data-dir',
      join(base, 'FR2'),
      'restore',
      '--from',
      join(base, 'fr-backup'),
    ])
    expect(restored.code, restored.stderr).toBe(0)
    expect(restored.stdout).toMatch(/ledger verified: \d+ entries/)
  })

  it('backup and restore refuse while another process holds the ledger, as a node still starting does (no socket yet)', async () => {
    // FR is stopped (the test above): a child process takes its ledger's LevelDB lock
    const holder = spawn(process.execPath, [HOLD_LEDGER, join(base, 'FR', DATA_DIR.ledger)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let holderErr = ''
    holder.stderr!.on('data', (d: Buffer) => (holderErr += d))
    const released = new Promise<number | null>((resolve) => holder.once('exit', (code) => resolve(code)))
    const target = join(base, 'fr-backup-while-locked')
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve())
        holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}: ${holderErr}`)))
      })
      const backup = await pocnet('FR', undefined, ['backup', '--out', target])
      expect(backup.code, backup.stderr).toBe(1)
      expect(backup.stderr).toContain(
        `error: another process holds this node's ledger (${join(base, 'FR', DATA_DIR.ledger)}): a pocnet daemon still starting`,
      )
      expect(backup.stderr).toMatch(/^hint: wait for it, or stop it/m)
      expect(backup.stdout).toBe('')
      expect(existsSync(target)).toBe(false)
      const before = (await readdir(base)).sort()
      const restore = await pocnet('FR', undefined, ['restore', '--from', join(base, 'fr-backup'), '--force'])
      expect(restore.code, restore.stderr).toBe(1)
      expect(restore.stderr).toMatch(/^error: another process holds this node's ledger/m)
      expect(restore.stdout).toBe('')
      // nothing moved aside, nothing restored over FR
      expect((await readdir(base)).sort()).toEqual(before)
    } finally {
      holder.stdin!.end()
    }
    expect(await released).toBe(0)
    // the lock was the only obstacle
    const backup = await pocnet('FR', undefined, ['backup', '--out', target])
    expect(backup.code, backup.stderr).toBe(0)
  })

  it('a backup whose ledger fails verification has no manifest; restore verifies before it touches the node', async () => {
    // FR is stopped. With IT's country in its config, FR's ledger (signed by FR) fails against IT's key
    const frConfig = await readConfig(join(base, 'FR'))
    await writeConfig(join(base, 'FR'), { ...frConfig, country: 'IT' })
    const bad = join(base, 'fr-backup-bad')
    try {
      const backup = await pocnet('FR', undefined, ['backup', '--out', bad])
      expect(backup.code, backup.stderr).toBe(1)
      expect(backup.stderr).toMatch(/^error: ledger invalid/m)
    } finally {
      await writeConfig(join(base, 'FR'), frConfig)
    }
    // no manifest: restore refuses the half-made backup
    expect(existsSync(join(bad, 'pocnet-backup.json'))).toBe(false)

    // a backup altered along with its manifest's hashes, restored over FR2 (restored from fr-backup above)
    const altered = join(base, 'fr-backup-altered')
    await cp(join(base, 'fr-backup'), altered, { recursive: true })
    await writeConfig(altered, { ...(await readConfig(altered)), country: 'IT' })
    const manifestFile = join(altered, 'pocnet-backup.json')
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as {
      files: Array<{ path: string; size: number; sha256: string }>
    }
    const configBytes = await readFile(join(altered, DATA_DIR.config))
    const listed = manifest.files.find((f) => f.path === DATA_DIR.config)!
    listed.sha256 = createHash('sha256').update(configBytes).digest('hex')
    listed.size = configBytes.length
    await writeFile(manifestFile, JSON.stringify(manifest))
    const before = (await readdir(base)).sort()
    const restore = await pocnet('FR', undefined, [
      '--data-dir',
      join(base, 'FR2'),
      'restore',
      '--from',
      altered,
      '--force',
    ])
    expect(restore.code, restore.stderr).toBe(1)
    expect(restore.stderr).toMatch(/^error: ledger invalid/m)
    // FR2 was neither moved aside nor overwritten
    expect((await readdir(base)).sort()).toEqual(before)
    expect((await readConfig(join(base, 'FR2'))).country).toBe('FR')
  })
})
