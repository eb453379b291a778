import { createHash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR } from '@pocnet/node'
import { createFederation, type Federation, type FederationNode, runCli } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `pocnet key rotate` replaces the node's Ed25519 key only: the ML-DSA-44 witness key is a key of
// its own, so the member.json it writes carries that key over, and every roster step that takes a
// member.json (rotate, witness-key) keeps the key the roster already publishes. No daemon runs.

let fed: Federation

beforeAll(async () => {
  fed = await createFederation({ countries: ['FR', 'IT', 'DE'], threshold: 2 })
})

afterAll(async () => {
  await fed?.cleanup()
})

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** FR's entry in the roster chain `file`, as `roster show --json` gives it. */
async function frInRoster(file: string): Promise<{ publicKey: string; mlDsaWitnessKeySha256?: string }> {
  const shown = JSON.parse(await ok(fed.node('DE'), ['roster', 'show', '--file', file, '--json'])) as {
    members: Array<{ country: string; publicKey: string; mlDsaWitnessKeySha256?: string }>
  }
  return shown.members.find((m) => m.country === 'FR')!
}

async function ok(node: FederationNode, args: string[]): Promise<string> {
  const r = await runCli(node, args)
  expect(r.code, `pocnet ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout
}

/** Proposes `flags` on DE's chain, signed by DE and IT, and combines it into `chainOut`. */
async function amend(name: string, flags: string[], chainOut: string, chainIn?: string): Promise<void> {
  const [de, it_] = [fed.node('DE'), fed.node('IT')]
  const chain = chainIn === undefined ? [] : ['--chain', chainIn]
  const proposal = join(fed.baseDir, `${name}.json`)
  await ok(de, ['roster', 'propose', ...flags, ...chain, '--out', proposal])
  const sigs: string[] = []
  for (const signer of [de, it_]) {
    const sig = join(fed.baseDir, `${name}-${signer.country}.sig`)
    await ok(signer, ['roster', 'sign', proposal, ...chain, '--out', sig])
    sigs.push('--sig', sig)
  }
  await ok(de, ['roster', 'combine', proposal, ...sigs, ...chain, '--out', chainOut])
}

describe('key rotate and the ML-DSA-44 witness key', () => {
  it("member.json keeps the node's ML-DSA-44 key; the rotated roster and a witness-key step keep it", async () => {
    const fr = fed.node('FR')
    const published = fr.member.mlDsaWitnessKey
    expect(published).toBeDefined()

    const rotated = JSON.parse(await ok(fr, ['key', 'rotate', '--json'])) as {
      memberFile: string
      publicKey: string
      mlDsaWitnessKeySha256?: string
    }
    expect(rotated.mlDsaWitnessKeySha256).toBe(sha256Hex(published!))
    const member = JSON.parse(await readFile(rotated.memberFile, 'utf8')) as {
      publicKey: string
      mlDsaWitnessKey?: string
    }
    expect(member.publicKey).toBe(rotated.publicKey)
    // compared by digest: a failure names two short values, not two 2,624-character keys
    expect(sha256Hex(Buffer.from(member.mlDsaWitnessKey ?? '', 'hex'))).toBe(sha256Hex(published!))

    const afterRotation = join(fed.baseDir, 'rotated.cbor')
    await amend('rotate-fr', ['--rotate', rotated.memberFile], afterRotation)
    expect(await frInRoster(afterRotation)).toMatchObject({
      publicKey: rotated.publicKey,
      mlDsaWitnessKeySha256: sha256Hex(published!),
    })

    // the same member.json republishes the witness key: a no-op change, accepted
    const republished = join(fed.baseDir, 'republished.cbor')
    await amend('witness-fr', ['--witness-key', rotated.memberFile], republished, afterRotation)
    expect((await frInRoster(republished)).mlDsaWitnessKeySha256).toBe(sha256Hex(published!))
  })
})

describe('key rotate on a node with no working ML-DSA-44 key file', () => {
  it('stops before writing anything when the file does not open; without a file, member.json has no key', async () => {
    const de = fed.node('DE')
    const witnessFile = join(de.dataDir, DATA_DIR.mlDsaWitnessKey)
    const keyBefore = await readFile(join(de.dataDir, DATA_DIR.key))
    await writeFile(witnessFile, 'not a key file')
    const refused = await runCli(de, ['key', 'rotate', '--json'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(witnessFile)
    expect(await readFile(join(de.dataDir, DATA_DIR.key))).toEqual(keyBefore)

    await rm(witnessFile)
    const rotated = JSON.parse(await ok(de, ['key', 'rotate', '--json'])) as {
      memberFile: string
      mlDsaWitnessKeySha256?: string
    }
    expect(rotated.mlDsaWitnessKeySha256).toBeUndefined()
    const member = JSON.parse(await readFile(rotated.memberFile, 'utf8')) as { mlDsaWitnessKey?: string }
    expect(member.mlDsaWitnessKey).toBeUndefined()
  })
})
