import { createHash } from 'node:crypto'
import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR } from '@pocnet/node'
import {
  createFederation,
  type Federation,
  federationLogs,
  runCli,
  runCliJson,
  spawnNode,
  stripBundleMlDsaCosignatures,
  submitMessage,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 22 (ML-DSA-44 cosignatures): nodes made by `init` have an ML-DSA-44 witness key, which the
// genesis roster publishes; IT's witness cosigns FR's checkpoints with both kinds, FR's export
// carries both lines, and the auditor's post-quantum requirement passes on it and fails on the same
// bundle with its ML-DSA-44 lines stripped.

interface VerifyJson {
  ok: boolean
  cosignatures: Array<{ name: string; kind?: string; status: string }>
  witnesses: { postQuantum?: { required: number; cosigners: string[]; met: boolean } } | null
  problem: { reason: string } | null
}

describe('ML-DSA-44 cosignatures between real daemons', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({ countries: ['FR', 'IT'] })
  })
  afterAll(async () => {
    await fed?.cleanup()
  })

  it("IT cosigns FR's checkpoint with Ed25519 and ML-DSA-44; the post-quantum check needs the second", async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const [fr, it_] = [fed.node('FR'), fed.node('IT')]
    await Promise.all([spawnNode(fr), spawnNode(it_)])
    await waitUntilReachable(fr, it_)
    await submitMessage(fr, { to: 'IT', caseId: 'pq-witness-e2e' })

    // the export waits for IT's cosignatures of the checkpoint it ends at
    const bundle = join(fed.baseDir, 'fr.bundle')
    const exported = await runCliJson<{ witnesses: { cosigners: string[]; meetsPolicy: boolean } }>(fr, [
      'ledger',
      'export',
      '--out',
      bundle,
      '--json',
    ])
    expect(exported.witnesses).toMatchObject({ cosigners: ['IT'], meetsPolicy: true })

    const verify = (file: string, ...flags: string[]) =>
      runCli(it_, ['ledger', 'verify', '--bundle', file, '--country', 'FR', '--pq-witnesses', '1', ...flags])
    const passed = await verify(bundle, '--json')
    expect(passed.code, passed.stderr).toBe(0)
    const report = JSON.parse(passed.stdout) as VerifyJson
    expect(report.witnesses?.postQuantum).toMatchObject({ required: 1, met: true })
    const latest = report.cosignatures.filter((c) => c.status === 'valid').map((c) => c.kind)
    expect(latest).toContain('ml-dsa-44')
    expect(latest).toContain('ed25519')
    const text = await verify(bundle)
    expect(text.stdout).toMatch(/^ {2}kinds {4}size \d+: IT Ed25519\+ML-DSA-44$/m)

    const stripped = join(fed.baseDir, 'fr-stripped.bundle')
    await stripBundleMlDsaCosignatures(bundle, stripped)
    const failed = await verify(stripped, '--json')
    expect(failed.code).toBe(1)
    const failure = JSON.parse(failed.stdout) as VerifyJson
    expect(failure.ok).toBe(false)
    expect(failure.problem?.reason).toMatch(
      /carries 0 valid ML-DSA-44 cosignature\(s\) of distinct current members, 1 required; .*\/IT cosigned with Ed25519 only/,
    )
    // the stripped bundle is still the log FR signed, cosigned with Ed25519
    const classical = await runCli(it_, ['ledger', 'verify', '--bundle', stripped, '--country', 'FR'])
    expect(classical.code, classical.stderr).toBe(0)
  })
})

describe('pocnet key witness', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({ countries: ['FR', 'IT'] })
  })
  afterAll(async () => {
    await fed?.cleanup()
  })

  it('makes the ML-DSA-44 witness key of a node that has none, encrypted, and a member.json with it', async () => {
    const fr = fed.node('FR')
    const keyFile = join(fr.dataDir, DATA_DIR.mlDsaWitnessKey)
    // init made one: it is not replaced
    const refused = await runCli(fr, ['key', 'witness'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /^error: .*witness-mldsa\.key already holds this node's ML-DSA-44 witness key$/m,
    )
    // a node made before init made one
    await rm(keyFile)
    const made = await runCli(fr, ['key', 'witness', '--json'])
    expect(made.code, made.stderr).toBe(0)
    const result = JSON.parse(made.stdout) as { mlDsaWitnessKeySha256: string; memberFile: string }
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    // the encrypted key file of its own format (crypto's ml-dsa-keyfile.ts has its round trip)
    const bytes = await readFile(keyFile)
    expect(bytes.subarray(0, 4).toString()).toBe('PNWK')
    expect(bytes).toHaveLength(130)
    const member = JSON.parse(await readFile(result.memberFile, 'utf8')) as {
      publicKey: string
      mlDsaWitnessKey: string
    }
    expect(member.publicKey).toBe(Buffer.from(fr.identity.signingPublicKey).toString('hex'))
    expect(member.mlDsaWitnessKey).toHaveLength(2 * 1312)
    const fingerprint = createHash('sha256').update(Buffer.from(member.mlDsaWitnessKey, 'hex')).digest('hex')
    expect(result.mlDsaWitnessKeySha256).toBe(fingerprint)
  })
})
