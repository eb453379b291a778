import { spawn } from 'node:child_process'
import { cp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ControlClient, caseRoutes, DATA_DIR, type Health, readConfig, writeConfig } from '@pocnet/node'
import {
  createFederation,
  type Federation,
  type FederationNode,
  freePort,
  health,
  spawnNode,
  stopNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { preservationRequest } from '../packages/node/test/fixtures/federation.ts'

// A planned key rotation end to end, through the CLI: FR's key is rotated in the roster, FR
// restarts on the new key with its whole history, and a copy of FR still on the old key stops
// dialling once it holds the roster that retired its key, as its peers stop dialling it.

const BIN = fileURLToPath(new URL('../packages/cli/src/bin.js', import.meta.url))

let fed: Federation
/** A copy of FR's data directory from before the rotation, still on the old key. */
let frOld: FederationNode

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** `pocnet <args>` on `node`'s data directory, as its operator. */
function pocnet(node: FederationNode, args: string[]): Promise<Result> {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('POCNET_')) env[k] = v
  Object.assign(env, {
    NO_COLOR: '1',
    TZ: 'UTC',
    XDG_CACHE_HOME: join(fed.baseDir, 'cache'),
    POCNET_HOME: node.dataDir,
    POCNET_PASSPHRASE_FILE: node.passphraseFile,
    POCNET_TOKEN: node.operatorToken,
  })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

async function ok(node: FederationNode, args: string[]): Promise<string> {
  const r = await pocnet(node, args)
  expect(r.code, `pocnet ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout
}

/** Opens a preservation case from `from` to `to`; resolves once `to` lists it. */
async function openCase(from: FederationNode, to: FederationNode, reference: string): Promise<string> {
  const request = { ...preservationRequest(), caseReference: reference, issuedAt: new Date().toISOString() }
  const { caseId } = await from.client.call(caseRoutes.open, {
    body: { to: to.country, request, idempotencyKey: reference },
  })
  await waitFor(async () => (await caseIds(to)).includes(caseId), {
    timeoutMs: 90_000,
    intervalMs: 500,
    description: `${to.country} to list case ${reference} from ${from.country}`,
  })
  return caseId
}

async function caseIds(node: FederationNode): Promise<string[]> {
  return (await node.client.call(caseRoutes.list)).cases.map((c) => c.id)
}

beforeAll(async () => {
  fed = await createFederation({ countries: ['IT', 'FR', 'DE'], threshold: 2 })
  await Promise.all(fed.nodes.map((n) => spawnNode(n)))
  await waitUntilReachable(fed.node('IT'), fed.node('FR'))
  await waitUntilReachable(fed.node('FR'), fed.node('IT'))
}, 180_000)

afterAll(async () => {
  await frOld?.process?.child.kill('SIGKILL')
  await fed?.cleanup()
})

describe('rotating a node key through the roster', () => {
  it('FR restarts on its new key with its history; the old key’s node backs off', async () => {
    const it_ = fed.node('IT')
    const fr = fed.node('FR')
    const de = fed.node('DE')
    const toFr = await openCase(it_, fr, 'IT-ROT-0001')
    const toIt = await openCase(fr, it_, 'FR-ROT-0001')

    // IT's log as cosigned before the rotation, FR's lines by its old Ed25519 key and its ML-DSA-44 key
    const itBefore = join(fed.baseDir, 'it-before.bundle')
    await ok(it_, ['ledger', 'export', '--out', itBefore, '--json'])

    // FR stops; a copy of its data directory keeps the old key, on another port
    await stopNode(fr)
    const oldDir = join(fed.baseDir, 'FR-old')
    await cp(fr.dataDir, oldDir, { recursive: true })
    await rm(join(oldDir, DATA_DIR.socket), { force: true })
    const oldPort = await freePort()
    const config = await readConfig(oldDir)
    await writeConfig(oldDir, { ...config, listen: [`/ip4/127.0.0.1/tcp/${oldPort}`] })
    frOld = {
      ...fr,
      dataDir: oldDir,
      port: oldPort,
      socketPath: join(oldDir, DATA_DIR.socket),
      logFile: join(fed.baseDir, 'FR-old.log'),
      client: new ControlClient(join(oldDir, DATA_DIR.socket), fr.operatorToken),
      process: undefined,
    }

    // the planned rotation: a new key, the old one kept; the roster ceremony by the threshold
    const rotated = JSON.parse(await ok(fr, ['key', 'rotate', '--json'])) as {
      peerId: string
      retiredPeerId: string
      memberFile: string
      retiredFile: string
    }
    expect(rotated.retiredPeerId).toBe(fr.peerId)
    expect(rotated.peerId).not.toBe(fr.peerId)
    // the new key is not the roster's yet: the start says what to finish
    const early = await pocnet(fr, ['start'])
    expect(early.code).not.toBe(0)
    expect(early.stdout + early.stderr).toMatch(/finish the rotation/)

    const proposal = join(fed.baseDir, 'rotate-fr.json')
    await ok(de, ['roster', 'propose', '--rotate', rotated.memberFile, '--out', proposal])
    for (const signer of [de, it_])
      await ok(signer, ['roster', 'sign', proposal, '--out', join(fed.baseDir, `${signer.country}.sig`)])
    await ok(de, [
      'roster',
      'combine',
      proposal,
      '--sig',
      join(fed.baseDir, 'DE.sig'),
      '--sig',
      join(fed.baseDir, 'IT.sig'),
    ])
    expect(await ok(de, ['roster', 'push'])).toMatch(/adopted roster version 1/)
    await waitFor(async () => (await health(it_)).rosterVersion === 1, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'IT to adopt the rotation',
    })
    await cp(join(de.dataDir, DATA_DIR.roster), join(fr.dataDir, DATA_DIR.roster))

    // FR on its new key: every earlier case listed, with its body
    const started = await spawnNode(fr)
    expect(started.ready?.peerId).toBe(rotated.peerId)
    const ids = await caseIds(fr)
    expect(ids).toContain(toFr)
    expect(ids).toContain(toIt)
    const old = await fr.client.call(caseRoutes.detail, { params: { id: toFr } })
    expect(old.case.request.caseReference).toBe('IT-ROT-0001')
    expect((await health(fr)).keysWithSealedBlobs).toBe(0)

    // requests flow both ways on the new key
    await openCase(it_, fr, 'IT-ROT-0002')
    await openCase(fr, it_, 'FR-ROT-0002')
    await openCase(de, fr, 'DE-ROT-0001')

    // witnesses keep cosigning across the change: an export (a checkpoint signed under the new key)
    // waits for IT and DE to cosign it, and the bundle verifies over both keys, pinned to the
    // roster, with the default witness requirement (both other members)
    const bundle = join(fed.baseDir, 'fr-rotated.bundle')
    const exported = JSON.parse(await ok(fr, ['ledger', 'export', '--out', bundle, '--json'])) as {
      checkpoint: { size: number }
      witnesses: { cosigners: string[]; required: number; meetsPolicy: boolean }
    }
    expect(exported.witnesses).toEqual({ cosigners: ['DE', 'IT'], required: 2, meetsPolicy: true })
    await waitFor(
      async () =>
        (await health(fr)).witness.witnesses.every((w) => (w.cosignedSize ?? 0) >= exported.checkpoint.size),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        description: "IT and DE to show as cosigners of FR's checkpoint under its new key",
      },
    )
    const verified = JSON.parse(
      await ok(fr, ['ledger', 'verify', '--bundle', bundle, '--country', 'FR', '--json']),
    ) as { ok: boolean; witnesses: { met: boolean; size: number; cosigners: string[] } | null }
    expect(verified.ok).toBe(true)
    expect(verified.witnesses).toMatchObject({ met: true, size: exported.checkpoint.size })
    expect(verified.witnesses!.cosigners).toHaveLength(2)

    // FR's ML-DSA-44 witness key is the one it had: IT's log, cosigned before the rotation or after
    // it, verifies against the rotated roster with both other members' ML-DSA-44 lines
    const itAfter = join(fed.baseDir, 'it-after.bundle')
    await ok(it_, ['ledger', 'export', '--out', itAfter, '--json'])
    for (const itBundle of [itBefore, itAfter]) {
      const itVerified = JSON.parse(
        await ok(de, [
          'ledger',
          'verify',
          '--bundle',
          itBundle,
          '--country',
          'IT',
          '--pq-witnesses',
          '2',
          '--json',
        ]),
      ) as {
        ok: boolean
        witnesses: { size: number; postQuantum?: { cosigners: string[]; met: boolean } } | null
        cosignatures: Array<{ size: number; name: string; kind?: string; status: string; retiredKey?: true }>
      }
      expect(itVerified.ok).toBe(true)
      expect(itVerified.witnesses?.postQuantum).toMatchObject({
        cosigners: ['DE', 'FR'].map((cc) => `pocnet.invalid/${fed.network}/${cc}`),
        met: true,
      })
      // FR's Ed25519 line on IT's latest checkpoint: by its old key before the rotation, which the
      // roster says it rotated away from (not revoked), so it still verifies and counts as FR's
      const frLines = itVerified.cosignatures.filter(
        (c) =>
          c.size === itVerified.witnesses!.size &&
          c.name === `pocnet.invalid/${fed.network}/FR` &&
          c.kind === 'ed25519',
      )
      expect(frLines.map((c) => [c.status, c.retiredKey ?? false])).toEqual([
        ['valid', itBundle === itBefore],
      ])
    }

    // the old key's node: members' gaters refuse its key before any stream, so it cannot sync
    // the roster from them; its operator pushes it. It says so, and dials nobody from then on.
    await spawnNode(frOld)
    expect(await ok(frOld, ['roster', 'push', join(de.dataDir, DATA_DIR.roster)])).toMatch(/adopted/)
    await waitFor(async () => (await health(frOld)).keyRetired !== null, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the old key’s node to learn it was rotated out',
    })
    const retired: Health = await health(frOld)
    expect(retired.keyRetired).toEqual({ how: 'rotated', atVersion: 1 })
    const status = await ok(frOld, ['status'])
    expect(status).toMatch(/rotated out by roster version 1/)
    const refusedBefore = (await health(it_)).refusedConnections + (await health(de)).refusedConnections
    const dialsBefore = retired.dialsWhileRetired
    // 20 polls: however long they take, the counts stay bounded (no loop)
    for (let i = 0; i < 20; i++) {
      await health(frOld)
      await new Promise((r) => setTimeout(r, 250))
    }
    const after = await health(frOld)
    expect(after.dialsWhileRetired - dialsBefore).toBeLessThanOrEqual(3)
    const refusedAfter = (await health(it_)).refusedConnections + (await health(de)).refusedConnections
    expect(refusedAfter - refusedBefore).toBeLessThanOrEqual(6)
    expect(after.peersConnected).toBe(0)
  })
})
