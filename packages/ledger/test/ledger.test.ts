import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { blobHash } from '../src/blobs.ts'
import { verifyCheckpoint } from '../src/checkpoint.ts'
import { MAX_BATCH_ENTRIES, MAX_ENTRY_BYTES } from '../src/constants.ts'
import { encodeEntry, type LedgerEntry } from '../src/entry.ts'
import {
  BlobError,
  CheckpointRefusedError,
  InvalidEntryError,
  LedgerClosedError,
  LedgerStateError,
  NotFoundError,
} from '../src/errors.ts'
import { blobKey, entryKey, nodeKey } from '../src/layout.ts'
import { Ledger } from '../src/ledger.ts'
import { EMPTY_ROOT, hashChildren, hashLeaf, verifyConsistency, verifyInclusion } from '../src/merkle.ts'
import { verifyLedger } from '../src/verify.ts'
import {
  NodeIdentity,
  ORIGIN,
  openTestLedger,
  sampleEvent,
  steppingClock,
  tempDir,
} from './fixtures/ledger.ts'
import { withRawDb } from './fixtures/stored.ts'

let dir: { path: string; cleanup: () => Promise<void> }
let identity: NodeIdentity

beforeEach(async () => {
  dir = await tempDir()
  identity = NodeIdentity.generate()
})
afterEach(async () => {
  await dir.cleanup()
})

/** MTH by the RFC's recursive definition over entry bytes. */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT
  if (leaves.length === 1) return leaves[0]!
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return hashChildren(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)))
}

describe('appending', () => {
  it('assigns sequence numbers from 0 and times from the clock, and reads entries back', async () => {
    const ledger = await openTestLedger(dir.path, identity, { clock: steppingClock(1000, 5000) })
    const a = await ledger.append(sampleEvent(0))
    const [b, c] = await ledger.appendBatch([sampleEvent(1), sampleEvent(2)])
    expect([a.seq, b!.seq, c!.seq]).toEqual([0, 1, 2])
    expect(a.time).toBe(5000)
    // one batch, one clock reading
    expect(b!.time).toBe(6000)
    expect(c!.time).toBe(6000)
    expect(await ledger.appendBatch([])).toEqual([])
    expect(ledger.size).toBe(3)
    expect(await ledger.get(1)).toEqual(b)
    expect(await ledger.getBytes(2)).toEqual(encodeEntry(c!))
    await expect(ledger.get(3)).rejects.toThrow(NotFoundError)
    await ledger.close()
  })

  it('never lets time go backwards when the clock does', async () => {
    const times = [10_000, 9_000, 12_000]
    const ledger = await openTestLedger(dir.path, identity, { clock: () => times.shift()! })
    const entries = [
      await ledger.append(sampleEvent(0)),
      await ledger.append(sampleEvent(1)),
      await ledger.append(sampleEvent(2)),
    ]
    expect(entries.map((e) => e.time)).toEqual([10_000, 10_000, 12_000])
    await ledger.close()
  })

  it('rejects an invalid event naming the field, and writes nothing of its batch', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.append(sampleEvent(0))
    const bad = { ...sampleEvent(1), counterpart: 'france' }
    const err = await ledger.appendBatch([sampleEvent(1), bad]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidEntryError)
    expect((err as InvalidEntryError).field).toBe('counterpart')
    expect(ledger.size).toBe(1)
    await ledger.close()
  })

  it('serialises concurrent appends into consecutive sequence numbers', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append(sampleEvent(i))))
    expect(entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    for (const e of entries) expect((await ledger.get(e.seq)).messageId).toBe(e.messageId)
    await ledger.close()
  })

  it('refuses an entry over the size limit alone, and stores the writes committed with it', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    // a detail map small enough to pass the field rules, too big once encoded
    const big = { ...sampleEvent(1), detail: { note: 'x'.repeat(MAX_ENTRY_BYTES) } }
    const [before, oversize, after] = await Promise.allSettled([
      ledger.append(sampleEvent(0)),
      ledger.append(big),
      ledger.appendBatch([sampleEvent(2), sampleEvent(3)]),
    ])
    expect(oversize.status).toBe('rejected')
    const err = (oversize as PromiseRejectedResult).reason
    expect(err).toBeInstanceOf(InvalidEntryError)
    expect((err as InvalidEntryError).field).toBe('detail')
    // the refused entry took no sequence number
    expect(before).toMatchObject({ status: 'fulfilled', value: { seq: 0 } })
    expect(after).toMatchObject({ status: 'fulfilled', value: [{ seq: 1 }, { seq: 2 }] })
    expect(ledger.size).toBe(3)
    expect((await ledger.get(1)).messageId).toBe(sampleEvent(2).messageId)
    await ledger.close()
  })

  it('stores every write accepted before close(), even more than one group holds', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    const batch = (from: number) => Array.from({ length: MAX_BATCH_ENTRIES }, (_, i) => sampleEvent(from + i))
    const writes = [
      ledger.appendBatch(batch(0)),
      ledger.appendBatch(batch(MAX_BATCH_ENTRIES)),
      ledger.append(sampleEvent(2 * MAX_BATCH_ENTRIES)),
    ]
    await ledger.close()
    const settled = await Promise.allSettled(writes)
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    const reopened = await openTestLedger(dir.path, identity)
    expect(reopened.size).toBe(2 * MAX_BATCH_ENTRIES + 1)
    await reopened.close()
  })

  it('refuses use after close', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.close()
    await expect(ledger.append(sampleEvent(0))).rejects.toThrow(LedgerClosedError)
    await expect(ledger.get(0)).rejects.toThrow(LedgerClosedError)
  })
})

describe('tree and proofs', () => {
  it('root, inclusion and consistency proofs match the RFC tree at every size, across a reopen', async () => {
    let ledger = await openTestLedger(dir.path, identity)
    const leaves: Uint8Array[] = []
    expect(await ledger.root()).toEqual(EMPTY_ROOT)
    for (let i = 0; i < 37; i++) {
      const entry = await ledger.append(sampleEvent(i))
      leaves.push(hashLeaf(encodeEntry(entry)))
      if (i === 20) {
        await ledger.close()
        ledger = await openTestLedger(dir.path, identity)
      }
    }
    for (let n = 1; n <= 37; n++) {
      const root = referenceRoot(leaves.slice(0, n))
      expect(await ledger.root(n)).toEqual(root)
      for (const seq of [0, n - 1, Math.floor(n / 2)]) {
        const proof = await ledger.inclusionProof(seq, n)
        expect(verifyInclusion(leaves[seq]!, seq, n, proof, root)).toBe(true)
      }
      for (const m of [1, Math.ceil(n / 3), n]) {
        const proof = await ledger.consistencyProof(m, n)
        expect(verifyConsistency(m, n, proof, referenceRoot(leaves.slice(0, m)), root)).toBe(true)
      }
    }
    await expect(ledger.inclusionProof(37, 37)).rejects.toThrow(NotFoundError)
    await expect(ledger.consistencyProof(5, 38)).rejects.toThrow(NotFoundError)
    await ledger.close()
  })
})

describe('checkpoints', () => {
  it('signs the current tree on demand, stores it and writes the latest-checkpoint file', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.appendBatch([sampleEvent(0), sampleEvent(1), sampleEvent(2)])
    const cp = await ledger.checkpoint()
    expect(cp.size).toBe(3)
    expect(cp.origin).toBe(ORIGIN)
    expect(cp.root).toEqual(await ledger.root())
    expect(verifyCheckpoint(cp.note, identity.signingPublicKey).size).toBe(3)
    expect(await readFile(join(dir.path, 'checkpoint'), 'utf8')).toBe(cp.note)
    // nothing new: the same checkpoint, not a second signature
    expect(await ledger.checkpoint()).toBe(cp)
    await ledger.append(sampleEvent(3))
    const next = await ledger.checkpoint()
    expect(next.size).toBe(4)
    expect((await ledger.checkpoints()).map((c) => c.size)).toEqual([3, 4])
    await ledger.close()
    const reopened = await openTestLedger(dir.path, identity)
    expect(reopened.latestCheckpoint()?.note).toBe(next.note)
    await reopened.close()
  })

  it('signs a checkpoint of what it exports, so a bundle is vouched for to its last entry', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.appendBatch([sampleEvent(0), sampleEvent(1), sampleEvent(2)])
    expect(ledger.latestCheckpoint()).toBeUndefined()
    const bundle = join(dir.path, 'export.pnlb')
    await ledger.export(bundle)
    expect(ledger.latestCheckpoint()?.size).toBe(3)
    const report = await verifyLedger(bundle, { publicKey: identity.signingPublicKey })
    expect(report.ok).toBe(true)
    expect(report.entries).toBe(3)
    expect(report.latestCheckpoint?.size).toBe(3)
    // nothing new: the next export signs nothing more
    await ledger.export(bundle)
    expect(await ledger.checkpoints()).toHaveLength(1)
    await ledger.close()
  })

  it('cuts a checkpoint every N entries', async () => {
    const ledger = await openTestLedger(dir.path, identity, { checkpointEvery: { entries: 5 } })
    for (let i = 0; i < 12; i++) await ledger.append(sampleEvent(i))
    expect((await ledger.checkpoints()).map((c) => c.size)).toEqual([5, 10])
    await ledger.appendBatch(Array.from({ length: 7 }, (_, i) => sampleEvent(i)))
    expect(ledger.latestCheckpoint()?.size).toBe(19)
    await ledger.close()
  })

  it('cuts a checkpoint on a timer when entries are new', async () => {
    const ledger = await openTestLedger(dir.path, identity, { checkpointEvery: { ms: 20 } })
    await ledger.append(sampleEvent(0))
    await vi.waitFor(() => expect(ledger.latestCheckpoint()?.size).toBe(1), { timeout: 10_000 })
    await ledger.close()
  })

  it('refuses to sign a checkpoint inconsistent with the last one', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.appendBatch([0, 1, 2, 3].map(sampleEvent))
    await ledger.checkpoint()
    await ledger.close()
    // rewrite history under the checkpoint: the stored hash of leaves 0..3
    await withRawDb(dir.path, (db) => db.put(nodeKey(2, 0), hashLeaf(new Uint8Array([1]))))
    const tampered = await openTestLedger(dir.path, identity)
    await tampered.append(sampleEvent(4))
    await expect(tampered.checkpoint()).rejects.toThrow(CheckpointRefusedError)
    expect(tampered.latestCheckpoint()?.size).toBe(4)
    await tampered.close()
  })

  it('refuses to open when entries under the latest checkpoint are gone', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.appendBatch([0, 1, 2, 3].map(sampleEvent))
    await ledger.checkpoint()
    await ledger.close()
    await withRawDb(dir.path, (db) => db.del(entryKey(3)))
    await expect(openTestLedger(dir.path, identity)).rejects.toThrow(LedgerStateError)
  })

  it('refuses to open a ledger of another origin or node key', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    await ledger.close()
    await expect(
      Ledger.open({ dir: dir.path, identity, origin: 'pocnet.invalid/test-net/DE' }),
    ).rejects.toThrow(LedgerStateError)
    await expect(openTestLedger(dir.path, NodeIdentity.generate())).rejects.toThrow(LedgerStateError)
  })
})

describe('queries', () => {
  it('finds entries by case, counterpart, kind and time range, alone or combined', async () => {
    const ledger = await openTestLedger(dir.path, identity, { clock: steppingClock(1000, 0) })
    const all: LedgerEntry[] = []
    for (let i = 0; i < 40; i++) all.push(await ledger.append(sampleEvent(i)))
    const expectQuery = async (
      q: Parameters<Ledger['query']>[0],
      pick: (e: (typeof all)[number]) => boolean,
    ) => {
      const expected = all.filter(pick).map((e) => e.seq)
      expect((await ledger.query(q)).map((e) => e.seq)).toEqual(expected)
      // scan finds the same, one at a time
      const scanned: number[] = []
      for await (const e of ledger.scan(q)) scanned.push(e.seq)
      expect(scanned).toEqual(expected)
    }
    await expectQuery({ caseId: 'case-3' }, (e) => e.caseId === 'case-3')
    await expectQuery({ counterpart: 'IT' }, (e) => e.counterpart === 'IT')
    await expectQuery({ kind: 'receipt' }, (e) => e.kind === 'receipt')
    await expectQuery({ from: 5000, to: 12_000 }, (e) => e.time >= 5000 && e.time < 12_000)
    await expectQuery({ from: 35_000 }, (e) => e.time >= 35_000)
    await expectQuery({ to: 3000 }, (e) => e.time < 3000)
    await expectQuery({ from: 99_000 }, () => false)
    await expectQuery(
      { caseId: 'case-1', kind: 'message-sent' },
      (e) => e.caseId === 'case-1' && e.kind === 'message-sent',
    )
    await expectQuery({ counterpart: 'DE', from: 20_000 }, (e) => e.counterpart === 'DE' && e.time >= 20_000)
    await expectQuery({ caseId: 'no-such-case' }, () => false)
    await expectQuery({ fromSeq: 25 }, (e) => e.seq >= 25)
    await expectQuery({ kind: 'receipt', fromSeq: 17 }, (e) => e.kind === 'receipt' && e.seq >= 17)
    await expectQuery({ from: 20_000, fromSeq: 10 }, (e) => e.time >= 20_000)
    await expectQuery({ from: 5000, fromSeq: 30 }, (e) => e.seq >= 30)
    expect(await ledger.query({ counterpart: 'ES', limit: 3 })).toHaveLength(3)
    expect(await ledger.query({})).toHaveLength(40)
    // a scan left early lets go of what it read with, and the ledger closes
    for await (const e of ledger.scan({ kind: 'receipt' })) if (e.seq > 10) break
    await ledger.close()
  })
})

describe('blobs', () => {
  it('stores blobs encrypted, reads them back, and appends an entry with its blobs atomically', async () => {
    const ledger = await openTestLedger(dir.path, identity)
    const message = new TextEncoder().encode('preservation request: IP logs of 203.0.113.7 '.repeat(20))
    const hash = await ledger.putBlob(message)
    expect(hash).toEqual(blobHash(message))
    expect(await ledger.getBlob(hash)).toEqual(message)
    expect(await ledger.getBlob(blobHash(new Uint8Array([1])))).toBeUndefined()

    const attachment = new Uint8Array(5000).fill(42)
    const entry = await ledger.append(sampleEvent(0), { blobs: [attachment] })
    expect(entry.blobs).toEqual([blobHash(attachment)])
    expect(await ledger.getBlob(blobHash(attachment))).toEqual(attachment)
    await ledger.close()

    await withRawDb(dir.path, async (db) => {
      const sealed = (await db.get(blobKey(hash)))!
      expect(Buffer.from(sealed).includes(Buffer.from('preservation request'))).toBe(false)
      // replace the blob with another sealed blob: reading it must fail, not return other bytes
      await db.put(blobKey(hash), (await db.get(blobKey(blobHash(attachment))))!)
    })
    const reopened = await openTestLedger(dir.path, identity)
    await expect(reopened.getBlob(hash)).rejects.toThrow(BlobError)
    await reopened.close()
  })
})
