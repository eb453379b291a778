import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkpointOrigin } from '../src/checkpoint.ts'
import { BundleRejectedError, NotReconcilableError } from '../src/errors.ts'
import { reconcileBundles } from '../src/reconcile/reconcile.ts'
import { deliver, NETWORK, openNode, rotateKey, type TestNode } from './fixtures/exchange.ts'
import { tempDir } from './fixtures/ledger.ts'

let work: { path: string; cleanup: () => Promise<void> }
let dirs = 0
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

/** Fresh nodes of these countries, each in its own directory. */
async function nodes(...countries: string[]): Promise<TestNode[]> {
  const base = join(work.path, `run-${dirs++}`)
  return Promise.all(countries.map((cc) => openNode(base, cc)))
}

/** Exports a node's ledger a second after its last event (with blob bytes when asked); returns the bundle's path. */
async function exported(node: TestNode, options: { includeBlobBytes?: boolean } = {}): Promise<string> {
  node.clock.now += 1000
  const path = join(work.path, `${node.country}-${dirs++}.pnlb`)
  await node.ledger.export(path, options)
  return path
}

async function closeAll(list: TestNode[]): Promise<void> {
  for (const n of list) await n.ledger.close()
}

describe('reconciling two countries’ bundles', () => {
  it('matches every message both ways, and tells pending, expired and rejected apart', async () => {
    const [it_, fr, de] = (await nodes('IT', 'FR', 'DE')) as [TestNode, TestNode, TestNode]
    const matchedItFr = [await deliver(it_, fr), await deliver(it_, fr), await deliver(it_, fr)]
    const pending = await deliver(it_, fr, { upTo: 'sent' })
    const expired = await deliver(it_, fr, { expires: true })
    const rejected = await deliver(it_, fr, { rejectedWith: 'not-a-member' })
    // traffic with a third country is not FR's business
    await deliver(it_, de, { receiverOmits: true })
    await deliver(de, fr)
    const matchedFrIt = [await deliver(fr, it_), await deliver(fr, it_)]
    const itBundle = await exported(it_, { includeBlobBytes: true })
    const frBundle = await exported(fr)
    await closeAll([it_, fr, de])

    const report = await reconcileBundles(itBundle, frBundle)
    expect(report.mismatches).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.network).toBe(NETWORK)
    expect(report.a).toMatchObject({ country: 'IT', pinned: false, blobBytes: true })
    expect(report.b).toMatchObject({ country: 'FR', pinned: false, blobBytes: false })
    expect(report.directions[0]).toEqual({
      from: 'IT',
      to: 'FR',
      sent: 6,
      received: 3,
      matched: matchedItFr.length,
      // IT's bundle carries the receipts' bytes: each is checked by FR's signature
      receipts: { signatureChecked: 3, hashMatched: 0 },
      pending: [pending],
      expired: [expired],
      rejected: [rejected],
      outsideOverlap: [],
    })
    expect(report.directions[1]).toEqual({
      from: 'FR',
      to: 'IT',
      sent: 2,
      received: 2,
      matched: matchedFrIt.length,
      // FR's bundle holds hashes only: each receipt is the one IT's signed ledger records answering with
      receipts: { signatureChecked: 0, hashMatched: 2 },
      pending: [],
      expired: [],
      rejected: [],
      outsideOverlap: [],
    })
    expect(report.overlap.from).toBeLessThan(report.overlap.to)
  })

  it('names each mismatch by message id, in both directions', async () => {
    const [it_, fr] = (await nodes('IT', 'FR')) as [TestNode, TestNode]
    const matched = await deliver(it_, fr)
    const sentNotReceived = await deliver(it_, fr, { receiverOmits: true })
    const receivedNotSent = await deliver(it_, fr, { senderOmits: true })
    const envelopeDiffers = await deliver(it_, fr, {
      receiverRecords: (envelope) => {
        const other = envelope.slice()
        other[other.length - 1]! ^= 1
        return other
      },
    })
    const noReceipt = await deliver(it_, fr, { upTo: 'received' })
    const gaveUpAfterReceipt = await deliver(it_, fr, { upTo: 'received' })
    it_.clock.now += 1000
    await it_.ledger.append({
      kind: 'delivery-failed',
      actor: 'node',
      counterpart: 'FR',
      messageId: gaveUpAfterReceipt,
      detail: { reason: 'expired' },
    })
    const forgedReceipt = await deliver(it_, fr, {
      senderStoresReceipt: (receipt) => {
        const forged = receipt.slice()
        forged[forged.length - 1]! ^= 1
        return forged
      },
    })
    const frSentNotReceived = await deliver(fr, it_, { receiverOmits: true })
    const itBundle = await exported(it_, { includeBlobBytes: true })
    const itHashesOnly = await exported(it_)
    const frBundle = await exported(fr)
    await closeAll([it_, fr])

    const report = await reconcileBundles(itBundle, frBundle)
    expect(report.ok).toBe(false)
    expect(report.mismatches.map(({ kind, messageId, from, to }) => ({ kind, messageId, from, to }))).toEqual(
      [
        { kind: 'sent-not-received', messageId: sentNotReceived, from: 'IT', to: 'FR' },
        { kind: 'envelope-differs', messageId: envelopeDiffers, from: 'IT', to: 'FR' },
        { kind: 'no-receipt', messageId: noReceipt, from: 'IT', to: 'FR' },
        { kind: 'no-receipt', messageId: gaveUpAfterReceipt, from: 'IT', to: 'FR' },
        { kind: 'bad-receipt', messageId: forgedReceipt, from: 'IT', to: 'FR' },
        { kind: 'received-not-sent', messageId: receivedNotSent, from: 'IT', to: 'FR' },
        { kind: 'sent-not-received', messageId: frSentNotReceived, from: 'FR', to: 'IT' },
      ],
    )
    const byId = new Map(report.mismatches.map((m) => [m.messageId, m]))
    expect(byId.get(noReceipt)?.reason).toMatch(/no receipt from FR \(still in IT's outbox at its export\)/)
    expect(byId.get(gaveUpAfterReceipt)?.reason).toMatch(/IT's outbox gave up on it: expired/)
    expect(byId.get(forgedReceipt)?.reason).toMatch(/does not verify under FR's key/)
    expect(byId.get(envelopeDiffers)?.reason).toMatch(
      /IT recorded sending envelope [0-9a-f]{64}, FR recorded/,
    )
    expect(report.directions[0].matched).toBe(1)
    expect(byId.has(matched)).toBe(false)

    // without the receipt's bytes, the forged receipt is found by its hash: not the one FR recorded
    const hashesOnly = await reconcileBundles(itHashesOnly, frBundle)
    expect(hashesOnly.mismatches.find((m) => m.messageId === forgedReceipt)).toMatchObject({
      kind: 'bad-receipt',
      reason: expect.stringMatching(/is not the one FR's ledger records answering with .* no receipt bytes/),
    })
    expect(hashesOnly.mismatches).toHaveLength(report.mismatches.length)
  })
})

describe('a receiver whose key rotated', () => {
  it('checks each receipt under the key in force when it was signed', async () => {
    const [it_, fr] = (await nodes('IT', 'FR')) as [TestNode, TestNode]
    const oldFr = fr.identity
    const before = await deliver(it_, fr)
    await rotateKey(fr)
    const after = await deliver(it_, fr)
    // a receipt signed after the rotation by FR's retired key: not FR's word any more
    const stale = await deliver(it_, { ...fr, identity: oldFr }, { receiverOmits: true })
    const itBundle = await exported(it_, { includeBlobBytes: true })
    const frBundle = await exported(fr)
    await closeAll([it_, fr])

    const report = await reconcileBundles(itBundle, frBundle)
    expect(report.b.publicKey).toEqual(fr.identity.signingPublicKey)
    expect(report.directions[0]).toMatchObject({
      matched: 2,
      receipts: { signatureChecked: 2, hashMatched: 0 },
    })
    expect(report.mismatches).toEqual([
      expect.objectContaining({
        kind: 'bad-receipt',
        messageId: stale,
        reason: expect.stringMatching(/does not verify under FR's key of that time/),
      }),
    ])
    expect([before, after]).not.toContain(stale)
  })
})

describe('the time window: only what both ledgers span is judged', () => {
  it('a message the receiver took after its export is not yet in that export, not missing', async () => {
    const [it_, fr] = (await nodes('IT', 'FR')) as [TestNode, TestNode]
    const before = await deliver(it_, fr)
    const frBundle = await exported(fr)
    // delivered and receipted after FR's export: IT holds FR's receipt, FR's bundle cannot
    const after = await deliver(it_, fr)
    // still undelivered in IT's outbox: pending, whatever FR's export
    const queued = await deliver(it_, fr, { upTo: 'sent' })
    const itBundle = await exported(it_)
    await closeAll([it_, fr])

    const report = await reconcileBundles(itBundle, frBundle)
    expect(report.ok).toBe(true)
    expect(report.directions[0]).toMatchObject({ matched: 1, pending: [queued] })
    expect(report.directions[0].outsideOverlap).toEqual([
      { messageId: after, reason: expect.stringMatching(/^FR received it at .*, after its export/) },
    ])
    expect(report.overlap.to).toBe(report.b.exportedAt)
    expect(before).not.toBe(after)
  })

  it('a message sealed, or received, after the sender’s export is not yet in the sender’s export', async () => {
    const [it_, fr] = (await nodes('IT', 'FR')) as [TestNode, TestNode]
    await deliver(it_, fr)
    // sent before IT's export, received an hour later by FR's clock: IT cannot hold the receipt yet
    const inFlight = await deliver(it_, fr, { upTo: 'received', transitMs: 3_600_000 })
    const itBundle = await exported(it_)
    // sealed by IT after its export: FR has it, IT's export cannot
    const later = await deliver(it_, fr)
    const frBundle = await exported(fr)
    await closeAll([it_, fr])

    const report = await reconcileBundles(itBundle, frBundle)
    expect(report.mismatches).toEqual([])
    expect(report.directions[0].outsideOverlap).toEqual([
      {
        messageId: inFlight,
        reason: "FR received it after IT's export: the receipt is not in that export yet",
      },
      { messageId: later, reason: expect.stringMatching(/^IT sealed it at .*, after its export/) },
    ])
  })
})

describe('both bundles are verified first', () => {
  let itBundle: string
  let frBundle: string
  let it_: TestNode
  beforeAll(async () => {
    const [a, b] = (await nodes('IT', 'FR')) as [TestNode, TestNode]
    it_ = a
    await deliver(a, b)
    await deliver(b, a)
    itBundle = await exported(a)
    frBundle = await exported(b)
    await closeAll([a, b])
  })

  it('refuses a bundle that fails verification, naming which, before comparing anything', async () => {
    const bytes = await readFile(frBundle)
    const at = bytes.indexOf('message-received')
    bytes[at + 8] = 'R'.charCodeAt(0)
    const tampered = join(work.path, 'fr-tampered.pnlb')
    await writeFile(tampered, bytes)
    const refused = reconcileBundles(itBundle, tampered)
    await expect(refused).rejects.toBeInstanceOf(BundleRejectedError)
    await expect(refused).rejects.toMatchObject({
      bundle: 'B',
      path: tampered,
      message: expect.stringMatching(/^bundle B \(.*fr-tampered\.pnlb\) fails verification at entry \d+: /),
    })
  })

  it('pins each country’s key and origin as told (the roster’s), and refuses another', async () => {
    const pinned = await reconcileBundles(itBundle, frBundle, {
      pin: (cc) =>
        cc === 'IT'
          ? { publicKey: it_.identity.signingPublicKey, origin: checkpointOrigin(NETWORK, 'IT') }
          : undefined,
    })
    expect(pinned.ok).toBe(true)
    expect([pinned.a.pinned, pinned.b.pinned]).toEqual([true, false])
    const impostor = NodeIdentity.generate()
    await expect(
      reconcileBundles(frBundle, itBundle, {
        pin: (cc) =>
          cc === 'IT'
            ? { publicKey: impostor.signingPublicKey, origin: checkpointOrigin(NETWORK, 'IT') }
            : undefined,
      }),
    ).rejects.toMatchObject({
      bundle: 'B',
      message: expect.stringMatching(/^bundle B .* fails verification/),
    })
  })

  it('refuses one country twice, two networks and a file that is not a bundle', async () => {
    await expect(reconcileBundles(itBundle, itBundle)).rejects.toBeInstanceOf(NotReconcilableError)
    const [other] = (await Promise.all([openNode(join(work.path, 'other-net'), 'FR', 'other-net')])) as [
      TestNode,
    ]
    const otherBundle = await exported(other)
    await other.ledger.close()
    await expect(reconcileBundles(itBundle, otherBundle)).rejects.toMatchObject({
      code: 'ERR_NOT_RECONCILABLE',
      message: 'bundle A is of network "test-net", bundle B of network "other-net"',
    })
    const notBundle = join(work.path, 'not-a-bundle.pnlb')
    await writeFile(notBundle, 'hello')
    await expect(reconcileBundles(notBundle, frBundle)).rejects.toMatchObject({
      bundle: 'A',
      message: expect.stringMatching(/^bundle A .* is not a ledger bundle: .*magic/),
    })
  })
})
