import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeKeyFile, KEY_FILE_LENGTH, NodeIdentity } from '@pocnet/crypto'
import { type CborValue, decode, seal } from '@pocnet/protocol'
import { TEST_SCRYPT } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConfig, writeConfig } from '../src/config.ts'
import { DATA_DIR } from '../src/constants.ts'
import { createLogger, PocnetDaemon } from '../src/index.ts'
import {
  createTestFederation,
  deliveryStream,
  PASSPHRASE,
  startCollectingWarnings,
  TEST_NETWORK,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

/*
 * Issue 22, mixed federations: AA and BB seal hybrid; CC is an "old" node (config
 * `hybridSealing: false`: its record carries no X-Wing key and it seals classically), driven
 * through the same code paths a node of older software takes. Requests go both ways between
 * old and new; a classical envelope from a hybrid member is refused as a downgrade.
 */

const GUARD_MS = 30_000

interface LogLine {
  event: string
  peer?: string
  reason?: string
}

describe('hybrid sealing in a mixed federation', () => {
  let fed: TestFederation
  let aa: PocnetDaemon
  let bb: PocnetDaemon
  let cc: PocnetDaemon
  let upgradedCc: PocnetDaemon | undefined
  const bbWarnings: LogLine[] = []

  beforeAll(async () => {
    fed = await createTestFederation(['AA', 'BB', 'CC'], (config, i) => {
      if (i === 2) config.hybridSealing = false
    })
    aa = await fed.start(0)
    // BB refuses downgrades from the moment it advertises its key, so the test need not wait 15 min
    bb = await startCollectingWarnings(fed, 1, bbWarnings, { downgradeGraceMs: 0 })
    cc = await fed.start(2)
    await until(
      () => [aa, bb, cc].every((d) => d.health().peersConnected === 2),
      'all three nodes to connect',
      GUARD_MS,
    )
    await Promise.all([aa, bb, cc].map((d) => d.publishOwnRecord()))
  }, 60_000)

  afterAll(async () => {
    await bb?.stop()
    await upgradedCc?.stop()
    await fed?.cleanup()
  })

  /** Sends one message through `from`'s outbox; returns its receipt's status and the envelope's version. */
  async function exchange(
    from: PocnetDaemon,
    to: string,
    caseId: string,
  ): Promise<{ status: unknown; v: unknown }> {
    await from.outbox.submit({ to, caseId, kind: 'test', payload: randomBytes(64), actor: 'user:test' })
    await until(
      async () => (await from.ledger.query({ kind: 'receipt', caseId })).length === 1,
      `the receipt of ${caseId}`,
      GUARD_MS,
    )
    const [receipt] = await from.ledger.query({ kind: 'receipt', caseId })
    const [sent] = await from.ledger.query({ kind: 'message-sent', caseId })
    const envelope = await from.ledger.getBlob(sent!.blobs[0]!)
    const [, header] = decode(envelope!) as [Uint8Array, Uint8Array, Uint8Array]
    return { status: receipt!.detail?.status, v: (decode(header) as Record<string, CborValue>).v }
  }

  it('new nodes advertise their X-Wing key and say they seal hybrid; the old node neither', async () => {
    expect([aa, bb, cc].map((d) => d.health().sealing)).toEqual(['hybrid', 'hybrid', 'classical'])
    expect((await aa.directory.lookup('BB')).record.kemPublicKey).toEqual(bb.identity.kemPublicKey)
    expect((await aa.directory.lookup('CC')).record.kemPublicKey).toBeUndefined()
  })

  it('new → new is sealed hybrid; new → old and old → new classical; every one accepted', async () => {
    expect(await exchange(aa, 'BB', 'mixed-aa-bb')).toEqual({ status: 'accepted', v: 2 })
    expect(await exchange(bb, 'AA', 'mixed-bb-aa')).toEqual({ status: 'accepted', v: 2 })
    expect(await exchange(aa, 'CC', 'mixed-aa-cc')).toEqual({ status: 'accepted', v: 1 })
    expect(await exchange(cc, 'AA', 'mixed-cc-aa')).toEqual({ status: 'accepted', v: 1 })
    expect(await exchange(cc, 'BB', 'mixed-cc-bb')).toEqual({ status: 'accepted', v: 1 })
  })

  it('a classical envelope from a hybrid member is a downgrade: refused, counted, logged once', async () => {
    const counted = bb.receiver.rejections.downgrade ?? 0
    const stored = bb.ledger.size
    const mark = bbWarnings.length
    const stream = await deliveryStream(aa, bb)
    for (let i = 0; i < 2; i++) {
      const classical = seal({
        sender: aa.identity,
        recipient: { signingPublicKey: bb.identity.signingPublicKey, boxPublicKey: bb.identity.boxPublicKey },
        networkId: TEST_NETWORK,
        caseId: '',
        kind: 'test',
        payload: randomBytes(64),
      })
      const answer = await stream.exchange(classical.bytes, classical.envelopeHash)
      expect(answer.ok && answer.receipt).toMatchObject({ status: 'rejected', reason: 'downgrade' })
    }
    await stream.close()
    expect(bb.receiver.rejections.downgrade).toBe(counted + 2)
    expect(bb.health().rejected.downgrade).toBe(counted + 2)
    expect(bb.ledger.size, 'nothing stored').toBe(stored)
    // the throttle: one line for the member's downgrades in this period, not one per envelope
    const lines = bbWarnings.slice(mark).filter((l) => l.event === 'delivery.rejected')
    expect(lines).toEqual([
      expect.objectContaining({ peer: aa.identity.peerId.toString(), reason: 'downgrade' }),
    ])
  })

  it('the old node upgraded in place gains an X-Wing key at start and lets in envelopes sealed to its old record', async () => {
    const node = fed.nodes[2]!
    await cc.stop()
    // its key as software before hybrid sealing wrote it: version 1, no X-Wing seed
    const { kemSeed: _, ...classical } = node.identity.secrets
    const keyFile = join(node.dataDir, DATA_DIR.key)
    await writeFile(keyFile, await encodeKeyFile(new NodeIdentity(classical), PASSPHRASE, TEST_SCRYPT))
    const config = await readConfig(node.dataDir)
    await writeConfig(node.dataDir, { ...config, hybridSealing: true })
    upgradedCc = await PocnetDaemon.start({
      dataDir: node.dataDir,
      passphrase: PASSPHRASE,
      log: createLogger({ level: 'error', component: 'CC' }),
    })
    expect((await readFile(keyFile)).length).toBe(KEY_FILE_LENGTH)
    expect(upgradedCc.identity.peerId.equals(node.identity.peerId)).toBe(true)
    expect(upgradedCc.identity.kemPublicKey).toBeDefined()
    expect(upgradedCc.health().sealing).toBe('hybrid')
    await upgradedCc.publishOwnRecord()
    expect(upgradedCc.directory.ownRecord?.record.kemPublicKey).toEqual(upgradedCc.identity.kemPublicKey)
    await until(() => upgradedCc!.health().peersConnected === 2, 'the upgraded CC to reconnect', GUARD_MS)
    // an envelope AA sealed to CC's record from before (classical), arriving now: CC began advertising
    // its key a moment ago, so it is within the grace period and let in
    const stream = await deliveryStream(aa, upgradedCc)
    const sealedToOldRecord = seal({
      sender: aa.identity,
      recipient: {
        signingPublicKey: node.identity.signingPublicKey,
        boxPublicKey: node.identity.boxPublicKey,
      },
      networkId: TEST_NETWORK,
      caseId: '',
      kind: 'test',
      payload: randomBytes(64),
    })
    const answer = await stream.exchange(sealedToOldRecord.bytes, sealedToOldRecord.envelopeHash)
    await stream.close()
    expect(answer.ok && answer.receipt.status).toBe('accepted')
    // CC's reconnection made AA's cached record of it stale: AA fetches the new one and seals hybrid
    expect(await exchange(aa, 'CC', 'upgraded-aa-cc')).toEqual({ status: 'accepted', v: 2 })
    // CC seals hybrid to the nodes that advertise a key
    expect(await exchange(upgradedCc, 'BB', 'upgraded-cc-bb')).toEqual({ status: 'accepted', v: 2 })
  })
})
