import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MlDsa44Signer, NodeIdentity } from '@pocnet/crypto'
import {
  checkpointOrigin,
  Ledger,
  parseCheckpoint,
  signCosignature,
  signMlDsaCosignature,
} from '@pocnet/ledger'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliOffline, writeGenesisRoster } from './fixtures/offline.ts'

const NETWORK = 'test-net'
const T = 1_800_000_000

/*
 * `pocnet ledger verify` checks the witnesses with the keys of the local roster: by default the
 * latest checkpoint of FR's bundle must carry cosignatures of a majority of the other members
 * (IT and US: both), `--witnesses k` sets k, and the report lists who cosigned which size when.
 */
describe('ledger verify --witnesses', () => {
  let dir: string
  let bundle: string
  const [fr, it_, us, outsider] = [1, 2, 3, 4].map(() => NodeIdentity.generate()) as [
    NodeIdentity,
    NodeIdentity,
    NodeIdentity,
    NodeIdentity,
  ]
  const cosignerOf = (country: string, identity: NodeIdentity) => ({
    name: checkpointOrigin(NETWORK, country),
    publicKey: identity.signingPublicKey,
    signer: identity.signer,
  })

  function verify(args: string[], home = 'home') {
    return runCliOffline(dir, ['ledger', 'verify', '--bundle', bundle, ...args], join(dir, home))
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-witnesses-'))
    await mkdir(join(dir, 'home'))
    await mkdir(join(dir, 'empty'))
    const members = [
      ['FR', fr],
      ['IT', it_],
      ['US', us],
    ] as const
    await writeGenesisRoster(
      join(dir, 'home', 'roster.cbor'),
      NETWORK,
      members.map(([country, identity]) => ({ country, name: country, identity })),
    )
    // FR's ledger: the checkpoint of size 2 cosigned by IT and US, the latest (size 3) by IT and an outsider
    const ledger = await Ledger.open({
      dir: join(dir, 'fr-ledger'),
      identity: fr,
      origin: checkpointOrigin(NETWORK, 'FR'),
    })
    for (let i = 0; i < 2; i++) await ledger.append({ kind: 'admin-action', actor: 'node', detail: { i } })
    const first = await ledger.checkpoint()
    const firstText = parseCheckpoint(first.note).body
    await ledger.addCosignatures(2, [
      signCosignature(cosignerOf('IT', it_), firstText, T),
      signCosignature(cosignerOf('US', us), firstText, T + 1),
    ])
    await ledger.append({ kind: 'admin-action', actor: 'node', detail: { i: 2 } })
    const latestText = parseCheckpoint((await ledger.checkpoint()).note).body
    await ledger.addCosignatures(3, [
      signCosignature(cosignerOf('IT', it_), latestText, T + 60),
      signCosignature(cosignerOf('XX', outsider), latestText, T + 61),
    ])
    bundle = join(dir, 'fr.bundle')
    await ledger.export(bundle)
    await ledger.close()
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('requires a majority of the other members by default, and says who cosigned and how to change k', () => {
    const r = verify(['--country', 'FR'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /^error: ledger invalid: the latest checkpoint \(size 3\) carries 1 valid cosignature\(s\) of distinct current members \(pocnet\.invalid\/test-net\/IT at 2027-01-15T08:01:00\.000Z\), 2 required; 1 line\(s\) by keys that are not current members' were ignored; the largest checkpoint that carries 2 is of size 2/m,
    )
    expect(r.stderr).toMatch(
      /^hint: --witnesses <k> sets how many cosignatures are required \(2 here; 0: none\)/m,
    )
  })

  it('--witnesses k sets the requirement, and the report lists who cosigned which size when', () => {
    const r = verify(['--country', 'FR', '--witnesses', '1'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^ {2}witnesses 1 of 1 required cosigned the latest checkpoint \(size 3\): IT$/m)
    expect(r.stdout).toMatch(/^ {12}size 2: IT 2027-01-15T08:00:00Z, US 2027-01-15T08:00:01Z$/m)
    expect(r.stdout).toMatch(
      /^ {12}size 3: IT 2027-01-15T08:01:00Z, pocnet\.invalid\/test-net\/XX 2027-01-15T08:01:01Z \(unknown-key\)$/m,
    )
    expect(verify(['--witnesses', '3']).stderr).toMatch(/carries 1 valid cosignature\(s\).*3 required/)
    const off = verify(['--witnesses', '0'])
    expect(off.status, off.stderr).toBe(0)
    expect(off.stdout).toMatch(/^ {2}witnesses none required/m)
  })

  it('--json carries the listing and the verdict', () => {
    const r = verify(['--country', 'FR', '--witnesses', '1', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.witnesses).toEqual({
      required: 1,
      size: 3,
      cosigners: [checkpointOrigin(NETWORK, 'IT')],
      met: true,
      largestCosignedSize: 3,
    })
    expect(report.cosignatures).toEqual([
      { size: 2, name: checkpointOrigin(NETWORK, 'IT'), timestamp: T, kind: 'ed25519', status: 'valid' },
      { size: 2, name: checkpointOrigin(NETWORK, 'US'), timestamp: T + 1, kind: 'ed25519', status: 'valid' },
      { size: 3, name: checkpointOrigin(NETWORK, 'IT'), timestamp: T + 60, kind: 'ed25519', status: 'valid' },
      {
        size: 3,
        name: checkpointOrigin(NETWORK, 'XX'),
        timestamp: T + 61,
        kind: 'ed25519',
        status: 'unknown-key',
      },
    ])
  })

  it('without a roster, --witnesses k is refused and the default checks no cosignature', () => {
    const refused = verify(['--witnesses', '1'], 'empty')
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^error: --witnesses needs the roster, for the members' keys$/m)
    const unchecked = verify([], 'empty')
    expect(unchecked.status, unchecked.stderr).toBe(0)
    expect(unchecked.stdout).toMatch(/^! no roster here: cosignatures were not checked/m)
  })
})

/*
 * `--pq-witnesses k`: k members must have cosigned the latest checkpoint with the ML-DSA-44 witness
 * key the roster gives them; the report says which kind(s) each witness used.
 */
describe('ledger verify --pq-witnesses', () => {
  let dir: string
  const [fr, it_, us] = [1, 2, 3].map(() => NodeIdentity.generate()) as [
    NodeIdentity,
    NodeIdentity,
    NodeIdentity,
  ]
  const pq = { IT: MlDsa44Signer.generate(), US: MlDsa44Signer.generate() }
  const bundles = { both: '', stripped: '' }

  const verify = (bundle: string, args: string[]) =>
    runCliOffline(
      dir,
      ['ledger', 'verify', '--bundle', bundle, '--country', 'FR', ...args],
      join(dir, 'home'),
    )

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-cli-pq-witnesses-'))
    await mkdir(join(dir, 'home'))
    await writeGenesisRoster(join(dir, 'home', 'roster.cbor'), NETWORK, [
      { country: 'FR', name: 'FR', identity: fr },
      { country: 'IT', name: 'IT', identity: it_, mlDsaWitnessKey: pq.IT.publicKey },
      { country: 'US', name: 'US', identity: us, mlDsaWitnessKey: pq.US.publicKey },
    ])
    // two ledgers of FR: IT and US cosign with both kinds, then the same with the ML-DSA-44 lines left out
    for (const kind of ['both', 'stripped'] as const) {
      const ledger = await Ledger.open({
        dir: join(dir, `fr-${kind}`),
        identity: fr,
        origin: checkpointOrigin(NETWORK, 'FR'),
      })
      await ledger.append({ kind: 'admin-action', actor: 'node', detail: { i: 0 } })
      const text = parseCheckpoint((await ledger.checkpoint()).note).body
      const lines = (['IT', 'US'] as const).flatMap((cc) => {
        const name = checkpointOrigin(NETWORK, cc)
        const identity = cc === 'IT' ? it_ : us
        const ed = signCosignature(
          { name, publicKey: identity.signingPublicKey, signer: identity.signer },
          text,
          T,
        )
        const ml = signMlDsaCosignature({ name, publicKey: pq[cc].publicKey, signer: pq[cc] }, text, T)
        return kind === 'both' ? [ed, ml] : [ed]
      })
      await ledger.addCosignatures(1, lines)
      bundles[kind] = join(dir, `fr-${kind}.bundle`)
      await ledger.export(bundles[kind])
      await ledger.close()
    }
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('passes when the members cosigned with ML-DSA-44, and says which kinds each used', () => {
    const r = verify(bundles.both, ['--pq-witnesses', '2'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^ {12}2 of 2 required with ML-DSA-44 \(post-quantum\): IT, US$/m)
    expect(r.stdout).toMatch(/^ {12}size 1: IT 2027-01-15T08:00:00Z, IT ML-DSA-44 2027-01-15T08:00:00Z, US/m)
    expect(r.stdout).toMatch(/^ {2}kinds {4}size 1: IT Ed25519\+ML-DSA-44, US Ed25519\+ML-DSA-44$/m)
    const json = JSON.parse(verify(bundles.both, ['--pq-witnesses', '2', '--json']).stdout)
    expect(json.witnesses.postQuantum).toEqual({
      required: 2,
      cosigners: [checkpointOrigin(NETWORK, 'IT'), checkpointOrigin(NETWORK, 'US')],
      met: true,
    })
    expect(json.cosignatures.map((c: { kind: string }) => c.kind)).toEqual([
      'ed25519',
      'ml-dsa-44',
      'ed25519',
      'ml-dsa-44',
    ])
  })

  it('refuses the bundle with its ML-DSA-44 lines stripped, with the reason and a hint', () => {
    const r = verify(bundles.stripped, ['--pq-witnesses', '1'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /carries 0 valid ML-DSA-44 cosignature\(s\) of distinct current members, 1 required; .*IT, .*US cosigned with Ed25519 only/,
    )
    expect(r.stderr).toMatch(
      /^hint: --pq-witnesses <k> sets how many ML-DSA-44 cosignatures are required \(1 here/m,
    )
    // without the post-quantum requirement it is the valid bundle it was
    expect(verify(bundles.stripped, ['--witnesses', '2']).status).toBe(0)
    expect(verify(bundles.stripped, ['--witnesses', '2']).stdout).toMatch(
      /^ {2}kinds {4}size 1: IT Ed25519, US Ed25519$/m,
    )
  })
})
