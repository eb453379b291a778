import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { NodeIdentity } from '@pocnet/crypto'
import { verifyReceipt } from '@pocnet/protocol'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELIVERY_PROTOCOL, type PocnetDaemon, readConfig, writeConfig } from '../src/index.ts'
import {
  createTestFederation,
  deliveryStream,
  startPublishedPair,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

describe('node daemon: delivery between two in-process nodes on loopback', () => {
  let fed: TestFederation
  let a: PocnetDaemon
  let b: PocnetDaemon

  beforeAll(async () => {
    ;({ fed, a, b } = await startPublishedPair(['IT', 'FR']))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('delivers sealed messages and stores a verified receipt for each', async () => {
    const sent = []
    for (let i = 0; i < 20; i++) {
      sent.push(
        await a.outbox.submit({
          to: 'FR',
          caseId: 'case-1',
          kind: 'test',
          payload: randomBytes(300),
          actor: 'user:t',
        }),
      )
    }
    await until(() => a.outbox.depth === 0, 'the outbox to drain')
    const receipts = await a.ledger.query({ kind: 'receipt', caseId: 'case-1' })
    expect(receipts.map((r) => r.messageId).sort()).toEqual(sent.map((s) => s.messageId).sort())
    for (const r of receipts) {
      expect(r.detail?.status).toBe('accepted')
      const bytes = await a.ledger.getBlob(r.blobs[0]!)
      const checked = verifyReceipt(bytes!, {
        receiverPublicKey: b.identity.signingPublicKey,
        networkId: 'pocnet-test',
      })
      expect(checked.ok).toBe(true)
    }
    const received = await b.ledger.query({ kind: 'message-received', caseId: 'case-1' })
    expect(received).toHaveLength(20)
    expect(new Set(received.map((e) => e.messageId)).size).toBe(20)
  })

  it('answers a repeated envelope with the original receipt and stores nothing new', async () => {
    const item = await a.outbox.submit({
      to: 'FR',
      caseId: 'case-2',
      kind: 'test',
      payload: randomBytes(10),
      actor: 'user:t',
    })
    await until(() => a.outbox.depth === 0, 'the outbox to drain')
    const [receiptEntry] = await a.ledger.query({ kind: 'receipt', caseId: 'case-2' })
    const original = await a.ledger.getBlob(receiptEntry!.blobs[0]!)
    const sizeBefore = b.ledger.size
    const delivery = await deliveryStream(a, b)
    const again = await delivery.send(item.envelope)
    await delivery.close()
    expect(Buffer.from(again).equals(Buffer.from(original!))).toBe(true)
    expect(b.ledger.size).toBe(sizeBefore)
  })

  it('answers several envelopes in turn on one stream, and ends it quietly when the sender closes', async () => {
    const errorsBefore = b.receiver.rejections.stream ?? 0
    const delivery = await deliveryStream(a, b)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const item = await a.outbox.submit({
        to: 'FR',
        caseId: 'one-stream',
        kind: 'test',
        payload: randomBytes(64),
        actor: 'user:t',
      })
      ids.push(item.messageId)
      const checked = await delivery.exchange(item.envelope, item.envelopeHash)
      expect(checked.ok && checked.receipt.status).toBe('accepted')
    }
    await delivery.close()
    await until(() => a.outbox.depth === 0, 'the outbox to settle')
    const stored = await b.ledger.query({ kind: 'message-received', caseId: 'one-stream' })
    expect(stored.map((e) => e.messageId).sort()).toEqual([...ids].sort())
    expect(b.receiver.rejections.stream ?? 0).toBe(errorsBefore)
  })

  it('rejects garbage from a member with a signed "malformed" receipt, counts it, and keeps serving', async () => {
    const before = b.receiver.rejections.malformed ?? 0
    const delivery = await deliveryStream(a, b)
    const checked = await delivery.exchange(randomBytes(500))
    await delivery.close()
    expect(checked.ok && checked.receipt.status === 'rejected' && checked.receipt.reason).toBe('malformed')
    expect(b.receiver.rejections.malformed).toBe(before + 1)

    await a.outbox.submit({
      to: 'FR',
      caseId: 'case-3',
      kind: 'test',
      payload: randomBytes(10),
      actor: 'user:t',
    })
    await until(() => a.outbox.depth === 0, 'delivery after the garbage')
    expect(await b.ledger.query({ kind: 'message-received', caseId: 'case-3' })).toHaveLength(1)
  })

  it('aborts an over-size envelope before reading it and counts the stream error', async () => {
    const before = b.receiver.rejections.stream ?? 0
    const stream = await a.host.dialProtocol(b.host.getMultiaddrs(), DELIVERY_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: 2 * 1024 * 1024 })
    await lp.write(new Uint8Array(b.config.delivery.maxEnvelopeBytes + 1)).catch(() => {})
    await expect(lp.read({ signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    await until(() => (b.receiver.rejections.stream ?? 0) > before, 'the stream error to be counted')
  })

  it('refuses a peer that is not in the roster at the connection gater', async () => {
    const outsider = await createLibp2p({
      privateKey: NodeIdentity.generate().privateKey,
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    try {
      await expect(
        outsider.dialProtocol(b.host.getMultiaddrs()[0]!, DELIVERY_PROTOCOL, {
          signal: AbortSignal.timeout(10_000),
        }),
      ).rejects.toThrow()
      expect(b.host.getPeers().map(String)).not.toContain(outsider.peerId.toString())
      expect(b.health().refusedConnections).toBeGreaterThan(0)
    } finally {
      await outsider.stop()
    }
  })
})

describe('node daemon: the outbox survives a restart', () => {
  it('keeps undelivered messages across a stop and delivers them after', async () => {
    const fed = await createTestFederation(['DE', 'ES'])
    try {
      let a = await fed.start(0)
      const b = await fed.start(1)
      await until(() => a.health().peersConnected > 0, 'DE to connect to ES')
      await b.publishOwnRecord()
      await a.directory.lookup('ES')
      await b.stop()
      const ids = []
      for (let i = 0; i < 5; i++) {
        ids.push(
          (
            await a.outbox.submit({
              to: 'ES',
              caseId: 'later',
              kind: 'test',
              payload: randomBytes(50),
              actor: 'user:t',
            })
          ).messageId,
        )
      }
      expect(a.outbox.depth).toBe(5)
      await a.stop()
      a = await fed.start(0)
      expect(
        a.outbox
          .list()
          .map((i) => i.messageId)
          .sort(),
      ).toEqual([...ids].sort())
      // the clean stop cut a checkpoint covering every entry written before it
      expect(a.ledger.latestCheckpoint()?.size).toBeGreaterThanOrEqual(5)
      const b2 = await fed.start(1)
      await until(() => a.outbox.depth === 0, 'the resumed outbox to drain', 60_000)
      const got = await b2.ledger.query({ kind: 'message-received', caseId: 'later' })
      expect(got.map((e) => e.messageId).sort()).toEqual([...ids].sort())
    } finally {
      await fed.cleanup()
    }
  })
})

describe('node daemon: limits and reconnection', () => {
  it('answers envelopes past the per-peer rate with a signed "rate-limited" receipt', async () => {
    const fed = await createTestFederation(['PT', 'NL'], (config, i) => {
      if (i === 1) config.delivery.perPeerPerMinute = 3
    })
    try {
      const a = await fed.start(0)
      const b = await fed.start(1)
      await until(() => a.health().peersConnected > 0, 'PT to connect to NL')
      await b.publishOwnRecord()
      const statuses: string[] = []
      for (let i = 0; i < 5; i++) {
        const item = await a.outbox.submit({
          to: 'NL',
          caseId: 'rl',
          kind: 'test',
          payload: randomBytes(8),
          actor: 'user:t',
        })
        await a.outbox.stop() // deliver by hand below, one at a time
        const delivery = await deliveryStream(a, b)
        const checked = await delivery.exchange(item.envelope)
        await delivery.close()
        if (!checked.ok) throw new Error(checked.message)
        statuses.push(checked.receipt.status === 'accepted' ? 'accepted' : checked.receipt.reason)
      }
      expect(statuses).toEqual(['accepted', 'accepted', 'accepted', 'rate-limited', 'rate-limited'])
      expect(b.receiver.rejections['rate-limited']).toBe(2)
    } finally {
      await fed.cleanup()
    }
  })

  it('finds a member again from its remembered directory record, without any bootstrap list', async () => {
    const fed = await createTestFederation(['SE', 'NO'])
    try {
      let a = await fed.start(0)
      const b = await fed.start(1)
      await until(() => a.health().peersConnected > 0, 'SE to connect to NO')
      await b.publishOwnRecord()
      await a.directory.lookup('NO')
      await a.stop()
      const config = await readConfig(fed.nodes[0]!.dataDir)
      config.bootstrap = []
      await writeConfig(fed.nodes[0]!.dataDir, config)
      a = await fed.start(0)
      await until(() => a.health().connectedCountries.includes('NO'), 'SE to dial NO from its cached record')
    } finally {
      await fed.cleanup()
    }
  })
})

describe('node daemon: retries that must not duplicate or give up', () => {
  it('returns the first message for a repeated idempotency key, across a restart', async () => {
    const fed = await createTestFederation(['AT', 'BE'])
    try {
      let a = await fed.start(0)
      await fed.start(1)
      await until(() => a.health().peersConnected > 0, 'AT to connect to BE')
      const input = {
        to: 'BE',
        caseId: 'k',
        kind: 'test',
        payload: randomBytes(8),
        actor: 'user:t',
        idempotencyKey: 'key-0001',
      }
      const first = await a.outbox.submit(input)
      const again = await a.outbox.submit({ ...input, payload: randomBytes(8) })
      expect(first.repeated).toBe(false)
      expect(again).toMatchObject({ messageId: first.messageId, repeated: true })
      await a.stop()
      a = await fed.start(0)
      expect(await a.outbox.submit(input)).toMatchObject({ messageId: first.messageId, repeated: true })
      expect(await a.ledger.query({ kind: 'message-sent', caseId: 'k' })).toHaveLength(1)
    } finally {
      await fed.cleanup()
    }
  })

  it('answers "try-later" while it cannot find the sender\'s record, and the sender retries until delivered', async () => {
    const fed = await createTestFederation(['CZ', 'SK'])
    try {
      // CZ starts without contact details, so it publishes no directory record yet
      const contactFile = join(fed.nodes[0]!.dataDir, 'contact.json')
      const contact = await readFile(contactFile)
      await rm(contactFile)
      const a = await fed.start(0)
      const b = await fed.start(1)
      await until(() => a.health().peersConnected > 0, 'CZ to connect to SK')
      await b.publishOwnRecord()
      const item = await a.outbox.submit({
        to: 'SK',
        caseId: 'later',
        kind: 'test',
        payload: randomBytes(8),
        actor: 'user:t',
      })
      await until(() => (b.receiver.rejections['try-later'] ?? 0) > 0, 'SK to answer try-later')
      expect(a.outbox.depth).toBe(1)
      await writeFile(contactFile, contact)
      await a.publishOwnRecord()
      await until(() => a.outbox.depth === 0, 'the retry to be delivered', 60_000)
      const [receipt] = await a.ledger.query({ kind: 'receipt', caseId: 'later' })
      expect(receipt).toMatchObject({ messageId: item.messageId, detail: { status: 'accepted' } })
    } finally {
      await fed.cleanup()
    }
  })
})
