import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readConfig, writeConfig } from '@pocnet/node'
import {
  createFederation,
  type Federation,
  federationLogs,
  flipStoredBlobByte,
  ledgerEntries,
  preservationForm,
  runCli,
  runCliJson,
  spawnNode,
  stopNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 18 item 6: what the CLI says about a request must be what happened to it — queued with the
// reason and the next attempt while the counterpart is down, delivered once it is back; and a case
// whose stored payload cannot be read is shown as damaged, never dropped.

interface Outgoing {
  messageId: string
  kind: string
  state: string
  attempts: number
  lastError: string | null
  nextAttemptAt: number | null
  recentAttempts: Array<{ at: number; error: string }>
}

interface Listed {
  country: string
  record: 'cached' | 'fetched' | 'none'
  seq?: number
}

interface ShownCase {
  case: { id: string; status: string }
  outgoing: Outgoing[]
}

describe('honest status of requests and cases', () => {
  let fed: Federation
  let caseId: string

  beforeAll(async () => {
    fed = await createFederation({
      countries: ['IT', 'FR'],
      // short backoff so delivery resumes soon after FR is back
      configure: (c) => ({ ...c, outbox: { ...c.outbox, initialBackoffMs: 300, maxBackoffMs: 1500 } }),
    })
    await Promise.all(fed.nodes.map((n) => spawnNode(n)))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  // first: no traffic yet, so no lookup has cached FR's record on IT
  it('lists what the DHT holds without a prior `directory show`, marked fetched or cached', async () => {
    const it_ = fed.node('IT')
    const cached = await runCliJson<{ countries: Listed[] }>(it_, ['directory', 'list', '--cached', '--json'])
    expect(cached.countries.find((c) => c.country === 'FR')).toMatchObject({ record: 'none' })
    // FR publishes its record at start: the first list that finds it says it fetched it
    const found = await waitFor(
      async () => {
        const r = await runCliJson<{ countries: Listed[] }>(it_, ['directory', 'list', '--json'])
        const fr = r.countries.find((c) => c.country === 'FR')!
        return fr.record === 'none' ? undefined : fr
      },
      { timeoutMs: 60_000, intervalMs: 1000, description: "IT's directory list to find FR's record" },
    )
    expect(found.record).toBe('fetched')
    expect(found.seq).toBeGreaterThan(0)
    const again = await runCli(it_, ['directory', 'list'])
    expect(again.stdout).toMatch(/^FR\s+FR test node\s+yes\s+seq \d+\s+cached\s/m)
    expect(again.stdout).toMatch(/^IT\s+IT test node\s+yes\s+seq \d+\s+cached\s/m)
  })

  it('says a request to a stopped counterpart is queued, why, and when next; then delivered once', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const it_ = fed.node('IT')
    const fr = fed.node('FR')
    await waitUntilReachable(it_, fr)
    await waitUntilReachable(fr, it_)
    expect(await stopNode(fr)).toEqual({ code: 0, signal: null })

    const form = join(fed.baseDir, 'request.yaml')
    // YAML takes JSON as it is
    await writeFile(form, JSON.stringify(preservationForm()))
    const sent = await runCli(it_, ['request', 'send', '--to', 'FR', '--file', form])
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).not.toContain('✓ request sent')
    expect(sent.stdout).toMatch(/request to FR queued, not delivered yet: case (IT-\d{8}-[0-9a-f]{8})/)
    // the real reason (a refused dial), and when the next attempt is
    expect(sent.stdout).toMatch(
      /queued after 1 attempt: dial-failed: .+; next attempt \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ s\)/,
    )
    caseId = /case (IT-\d{8}-[0-9a-f]{8})/.exec(sent.stdout)![1]!

    const shown = await runCli(it_, ['case', 'show', caseId])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain('outgoing messages')
    expect(shown.stdout).toMatch(/case-request\s+queued after \d+ attempts?: dial-failed: .+; next attempt/)
    expect(shown.stdout).toMatch(/attempt failed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC {2}dial-failed: /)
    const queued = await runCliJson<ShownCase>(it_, ['case', 'show', caseId, '--json'])
    const request = queued.outgoing[0]!
    expect(request).toMatchObject({ kind: 'case-request', state: 'queued' })
    expect(request.attempts).toBeGreaterThanOrEqual(1)
    expect(request.lastError).toMatch(/^dial-failed: /)
    expect(request.nextAttemptAt).not.toBeNull()
    expect(request.recentAttempts.length).toBeGreaterThanOrEqual(1)

    // the log line carries the same error, not a class name
    const retries = (await readFile(it_.logFile, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"outbox.retry"'))
      .map((l) => JSON.parse(l) as { error: string })
    expect(retries.length).toBeGreaterThanOrEqual(1)
    for (const r of retries) expect(r.error).toMatch(/^dial-failed: ./)

    await spawnNode(fr)
    const delivered = await waitFor(
      async () => {
        const d = await runCliJson<ShownCase>(it_, ['case', 'show', caseId, '--json'])
        return d.case.status === 'delivered' ? d : undefined
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `case ${caseId} to be delivered once FR is back` },
    )
    expect(delivered.outgoing[0]).toMatchObject({ messageId: request.messageId, state: 'delivered' })
    const after = await runCli(it_, ['case', 'show', caseId])
    expect(after.stdout).toMatch(new RegExp(`case ${caseId}: preservation IT→FR, delivered`))
    expect(after.stdout).toMatch(/case-request\s+delivered \d{4}-/)
    // once: FR holds the case a single time, from a single message
    const frCases = await runCliJson<{ cases: Array<{ id: string }> }>(fr, ['inbox', '--json', '--all'])
    expect(frCases.cases.filter((c) => c.id === caseId)).toHaveLength(1)
    expect(await stopNode(fr)).toEqual({ code: 0, signal: null })
    const received = await ledgerEntries(fr, ['message-received'])
    expect(received['message-received'].filter((e) => e.messageId === request.messageId)).toHaveLength(1)
    await spawnNode(fr)
  })

  // the case of the test above, its request then damaged on IT's disk
  it('shows a case whose stored request cannot be read as damaged in inbox, case show and status', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const it_ = fed.node('IT')
    expect(await stopNode(it_)).toEqual({ code: 0, signal: null })
    const { 'message-sent': sent } = await ledgerEntries(it_, ['message-sent'])
    const request = sent.find((e) => e.caseId === caseId && e.detail?.messageKind === 'case-request')!
    // blobs: the envelope, then the payload kept beside it
    await flipStoredBlobByte(it_.dataDir, 30, request.blobs[1]!)
    await spawnNode(it_)

    const inbox = await runCli(it_, ['inbox', '--all'])
    expect(inbox.code, inbox.stderr).toBe(0)
    expect(inbox.stdout).toContain('damaged: 1 case with messages that cannot be read')
    expect(inbox.stdout).toMatch(
      new RegExp(
        `${caseId}\\s+FR\\s+requester\\s+damaged\\s+request sent \\(ledger entry ${request.seq}\\) cannot be read: `,
      ),
    )
    const listed = await runCliJson<{ damaged: Array<{ id: string; held: boolean }> }>(it_, [
      'inbox',
      '--json',
      '--all',
    ])
    expect(listed.damaged).toMatchObject([{ id: caseId, held: false }])

    const shown = await runCli(it_, ['case', 'show', caseId])
    expect(shown.code).toBe(1)
    expect(shown.stderr).not.toContain('ERR_CASE_NOT_FOUND')
    expect(shown.stderr).toMatch(
      new RegExp(
        `error: case ${caseId} with FR is damaged: cannot read its request \\(ledger entry ${request.seq}, message [0-9a-f]+\\): `,
      ),
    )
    expect(shown.stderr).toMatch(/hint: .*restore the data directory from a backup/)

    const status = await runCliJson<{ damagedCases: number }>(it_, ['status', '--json'])
    expect(status.damagedCases).toBe(1)
    const statusText = await runCli(it_, ['status'])
    expect(statusText.stdout).toMatch(/damaged cases {2}1 with messages that cannot be read/)
    expect(statusText.stdout).toMatch(new RegExp(`listening {6}/ip4/127\\.0\\.0\\.1/tcp/${it_.port}`))
  })

  it('lets tokens expire and be rotated, and names the token source in the 401 hint', async () => {
    const it_ = fed.node('IT')
    const added = await runCliJson<{ token: string; expiresAt: number }>(it_, [
      'user',
      'add',
      'desk',
      '--role',
      'contact',
      '--expires',
      '90d',
      '--json',
    ])
    expect(added.expiresAt).toBeGreaterThan(Date.now() + 89 * 86_400_000)
    const listed = await runCli(it_, ['user', 'list'])
    expect(listed.stdout).toMatch(/desk\s+contact\s+\S+ \S+ UTC\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/)
    const bad = await runCli(it_, ['user', 'add', 'desk2', '--role', 'contact', '--expires', '3 months'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--expires 3 months: must be a whole number followed by d, h or m, like 90d')

    const rotated = await runCli(it_, ['user', 'token', 'rotate', 'desk'])
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(rotated.stdout).toContain('new token for desk (contact); the old one no longer works')
    expect(rotated.stdout).toContain('it does not expire')
    const token = /^\s+(pn_\S+)$/m.exec(rotated.stdout)![1]!
    const old = await runCli(it_, ['inbox'], added.token)
    expect(old.code).toBe(1)
    expect(old.stderr).toMatch(/^error: missing or unknown token \(401\)$/m)
    expect(old.stderr).toMatch(
      /^hint: set POCNET_TOKEN to a token from `pocnet user add` or `pocnet user token rotate`: the token from POCNET_TOKEN is not one this node knows/m,
    )
    expect((await runCli(it_, ['inbox'], token)).code).toBe(0)
    const file = join(fed.baseDir, 'old-token')
    await writeFile(file, `${added.token}\n`, { mode: 0o600 })
    const fromFile = await runCli(it_, ['--token-file', file, 'inbox'])
    expect(fromFile.stderr).toContain(
      `hint: put in ${file} a token from \`pocnet user add\` or \`pocnet user token rotate\`: the token from --token-file ${file} is not one this node knows`,
    )

    // expiry: the new token given an end already past, as users.json would hold it later on
    expect(await stopNode(it_)).toEqual({ code: 0, signal: null })
    const usersFile = join(it_.dataDir, 'users.json')
    const users = JSON.parse(await readFile(usersFile, 'utf8')) as Array<{ name: string; expiresAt?: number }>
    users.find((u) => u.name === 'desk')!.expiresAt = Date.parse('2026-01-01T00:00:00Z')
    await writeFile(usersFile, JSON.stringify(users), { mode: 0o600 })
    await spawnNode(it_)
    const expired = await runCli(it_, ['inbox'], token)
    expect(expired.code).toBe(1)
    expect(expired.stderr).toMatch(
      /^error: the token of user desk expired at 2026-01-01T00:00:00\.000Z \(401\)$/m,
    )
    expect(expired.stderr).toMatch(
      /^hint: the token from POCNET_TOKEN has expired: ask an operator for a new one: `pocnet user token rotate desk`$/m,
    )
  })

  it('adds a bootstrap address from a member file, stores it, and dials it when the node runs', async () => {
    const it_ = fed.node('IT')
    const fr = fed.node('FR')
    expect(await stopNode(it_)).toEqual({ code: 0, signal: null })
    await writeConfig(it_.dataDir, { ...(await readConfig(it_.dataDir)), bootstrap: [] })
    // FR's member.json, as `pocnet init` writes it (docs/operations.md)
    const memberFile = join(fed.baseDir, 'fr-member.json')
    await writeFile(
      memberFile,
      JSON.stringify({
        format: 'pocnet-member/1',
        country: 'FR',
        name: fr.member.name,
        publicKey: Buffer.from(fr.member.publicKey).toString('hex'),
        peerId: fr.peerId,
      }),
    )
    const noAddress = await runCli(it_, ['peers', 'add', memberFile])
    expect(noAddress.code).toBe(1)
    expect(noAddress.stderr).toContain(
      `error: ${memberFile}: a member file names the key, not where the node listens`,
    )
    expect(noAddress.stderr).toMatch(
      /hint: add --address host:port \(the port `pocnet status` shows as "listening"/,
    )
    const noPeer = await runCli(it_, ['peers', 'add', `/ip4/127.0.0.1/tcp/${fr.port}`])
    expect(noPeer.code).toBe(1)
    expect(noPeer.stderr).toContain('a bootstrap address must end in /p2p/<peer id>')

    const added = await runCli(it_, ['peers', 'add', memberFile, '--address', `127.0.0.1:${fr.port}`])
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toContain(`added to the bootstrap list: ${fr.multiaddr} (FR)`)
    expect(added.stdout).toContain('the node is not running: it dials this address at its next start')
    expect((await readConfig(it_.dataDir)).bootstrap).toEqual([fr.multiaddr])

    await spawnNode(it_)
    const again = await runCli(it_, ['peers', 'add', fr.multiaddr])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`already in the bootstrap list: ${fr.multiaddr} (FR)`)
    expect(again.stdout).toContain('connected now to FR')
    expect((await readConfig(it_.dataDir)).bootstrap).toEqual([fr.multiaddr])
  })
})
