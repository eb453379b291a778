import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliOffline, writeGenesisRoster } from './fixtures/offline.ts'

/*
 * `pocnet ledger verify --country CC` pins both the key the roster gives CC and the origin of
 * CC's ledger in the roster's network: the same key signing a log under another origin (another
 * network, a test log) is another ledger, and must not pass as CC's.
 */
describe('ledger verify --country pins the origin as well as the key', () => {
  let dir: string
  const fr = NodeIdentity.generate()

  /** A bundle of three entries signed by FR's key under `origin`. */
  async function bundleUnder(origin: string, name: string): Promise<string> {
    const ledger = await Ledger.open({ dir: join(dir, `${name}-ledger`), identity: fr, origin })
    for (let i = 0; i < 3; i++) await ledger.append({ kind: 'admin-action', actor: 'node', detail: { i } })
    const path = join(dir, `${name}.bundle`)
    await ledger.export(path)
    await ledger.close()
    return path
  }

  function verify(bundle: string) {
    return runCliOffline(dir, ['ledger', 'verify', '--bundle', bundle, '--country', 'FR'], join(dir, 'home'))
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-origin-'))
    await mkdir(join(dir, 'home'))
    // a roster of one founder, FR, in network test-net: what the auditor's data directory holds
    await writeGenesisRoster(join(dir, 'home', 'roster.cbor'), 'test-net', [
      { country: 'FR', name: 'France', identity: fr },
    ])
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("passes FR's ledger, and fails one FR's key signed under another network's origin", async () => {
    const right = verify(await bundleUnder(checkpointOrigin('test-net', 'FR'), 'right'))
    expect(right.status, right.stderr).toBe(0)
    expect(right.stdout).toMatch(/^ {2}origin {3}pocnet\.invalid\/test-net\/FR \(pinned\)$/m)

    const other = verify(await bundleUnder(checkpointOrigin('other-net', 'FR'), 'other'))
    expect(other.status).toBe(1)
    expect(other.stderr).toMatch(
      /ledger invalid: its checkpoints are of the log "pocnet\.invalid\/other-net\/FR", not "pocnet\.invalid\/test-net\/FR"/,
    )
  })
})
