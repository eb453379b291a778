import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NodeIdentity } from '@pocnet/crypto'
import {
  encodeRosterBody,
  encodeRosterDocument,
  signRosterBody,
  writeRosterChainFile,
} from '@pocnet/directory/offline'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url))

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
    return spawnSync(process.execPath, [BIN, 'ledger', 'verify', '--bundle', bundle, '--country', 'FR'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        POCNET_HOME: join(dir, 'home'),
        XDG_CACHE_HOME: join(dir, 'cache'),
      },
    })
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-origin-'))
    await mkdir(join(dir, 'home'))
    // a roster of one founder, FR, in network test-net: what the auditor's data directory holds
    const body = encodeRosterBody({
      kind: 'genesis',
      network: 'test-net',
      version: 0,
      createdAt: Date.now(),
      threshold: 1,
      members: [{ country: 'FR', name: 'France', publicKey: fr.signingPublicKey }],
    })
    await writeRosterChainFile(join(dir, 'home', 'roster.cbor'), [
      encodeRosterDocument(body, [signRosterBody(fr, body)]),
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
