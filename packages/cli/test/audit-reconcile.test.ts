import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity, sha256 } from '@pocnet/crypto'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliOffline, writeGenesisRoster } from './fixtures/offline.ts'

/*
 * `pocnet audit reconcile A B` as an auditor runs it: exit codes, the one-line summary, the
 * mismatch table, JSON, and the roster pinning both bundles. The matching rules themselves are
 * tested in packages/ledger; the CLI against real daemons in test/cli.test.ts.
 */
describe('pocnet audit reconcile', () => {
  let dir: string
  const it_ = NodeIdentity.generate()
  const fr = NodeIdentity.generate()
  let itBundle: string
  let frBundle: string
  let itWithLostMessage: string
  let messageId: string

  /** Every ledger's clock: from 1 January 2026, a second further at each read. */
  const START = Date.UTC(2026, 0, 1)
  /** A bundle of `country`'s ledger, signed by `identity`, holding what `write` appends. */
  async function bundle(
    name: string,
    country: string,
    identity: NodeIdentity,
    write: (ledger: Ledger) => Promise<void> = async () => {},
  ): Promise<string> {
    const ledger = await Ledger.open({
      dir: join(dir, `${name}-ledger`),
      identity,
      origin: checkpointOrigin('test-net', country),
      clock: (() => {
        let now = START - 1000
        return () => (now += 1000)
      })(),
    })
    await ledger.append({ kind: 'admin-action', actor: 'node', detail: { action: 'init' } })
    await write(ledger)
    const path = join(dir, `${name}.pnlb`)
    await ledger.export(path)
    await ledger.close()
    return path
  }

  function pocnet(args: string[], home = join(dir, 'home')) {
    return runCliOffline(dir, args, home)
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-reconcile-'))
    await mkdir(join(dir, 'home'))
    await mkdir(join(dir, 'no-roster'))
    // the auditor's data directory holds the network's roster: IT and FR
    await writeGenesisRoster(join(dir, 'home', 'roster.cbor'), 'test-net', [
      { country: 'IT', name: 'Italy', identity: it_ },
      { country: 'FR', name: 'France', identity: fr },
    ])
    itBundle = await bundle('it', 'IT', it_)
    frBundle = await bundle('fr', 'FR', fr)
    // IT's ledger records a message to FR and FR's receipt of it; FR's ledger has no such message
    messageId = 'a1'.repeat(16)
    itWithLostMessage = await bundle('it-lost', 'IT', it_, async (ledger) => {
      const envelope = new TextEncoder().encode('an envelope')
      await ledger.append(
        { kind: 'message-sent', actor: 'user:duty', counterpart: 'FR', messageId },
        { blobs: [envelope] },
      )
      await ledger.append(
        {
          kind: 'receipt',
          actor: 'country:FR',
          counterpart: 'FR',
          messageId,
          detail: { status: 'accepted', receivedAt: START + 500 },
        },
        { blobs: [sha256(envelope)] },
      )
    })
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('prints one line and exits 0 when everything matches, pinned to the roster', () => {
    const r = pocnet(['audit', 'reconcile', itBundle, frBundle])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe('✓ IT and FR reconcile: IT→FR 0 matched, FR→IT 0 matched\n')
    expect(r.stderr).toBe('')
    const json = JSON.parse(pocnet(['audit', 'reconcile', itBundle, frBundle, '--json']).stdout)
    expect(json).toMatchObject({ ok: true, network: 'test-net', a: { country: 'IT', pinned: true } })
  })

  it('lists each mismatch by message id and exits 1', () => {
    const r = pocnet(['audit', 'reconcile', itWithLostMessage, frBundle])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(
      /^✗ IT and FR do not reconcile: 1 mismatch\(es\); IT→FR 0 matched, FR→IT 0 matched$/m,
    )
    expect(r.stdout).toMatch(
      new RegExp(`^IT +FR +${messageId} +sent-not-received +IT holds FR's receipt`, 'm'),
    )
    expect(r.stderr).toMatch(/^error: 1 message\(s\) do not reconcile between IT and FR$/m)
    expect(r.stderr).toMatch(/^hint: /m)
    const json = pocnet(['audit', 'reconcile', itWithLostMessage, frBundle, '--json'])
    expect(json.status).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      mismatches: [{ kind: 'sent-not-received', messageId, from: 'IT', to: 'FR' }],
    })
  })

  it("refuses a bundle not signed by its country's roster key, naming it, before comparing", async () => {
    const impostor = await bundle('fr-impostor', 'FR', NodeIdentity.generate())
    const r = pocnet(['audit', 'reconcile', itBundle, impostor])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^error: bundle B \(.*fr-impostor\.pnlb\) fails verification/m)
    expect(r.stderr).toMatch(/^hint: check it alone with `pocnet ledger verify --bundle <file>`/m)
    // without a roster the bundles' own keys are used, and the auditor is told to compare them
    const unpinned = pocnet(['audit', 'reconcile', itBundle, impostor], join(dir, 'no-roster'))
    expect(unpinned.status, unpinned.stderr).toBe(0)
    expect(unpinned.stderr).toMatch(/^! not pinned to a roster: the keys are the bundles' own/m)
  })

  it('exits 2 on a usage error and 1 on a missing file', () => {
    expect(pocnet(['audit', 'reconcile', itBundle]).status).toBe(2)
    const missing = pocnet(['audit', 'reconcile', itBundle, join(dir, 'nope.pnlb')])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/^error: .*nope\.pnlb: no such file$/m)
  })
})
