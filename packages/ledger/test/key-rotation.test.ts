import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signCheckpoint } from '../src/checkpoint.ts'
import { LedgerStateError } from '../src/errors.ts'
import { checkpointKey } from '../src/layout.ts'
import type { AuthorisedKey } from '../src/verify/key-sequence.ts'
import { verifyLedger } from '../src/verify.ts'
import { NodeIdentity, ORIGIN, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'
import { withRawDb } from './fixtures/stored.ts'

const oldIdentity = NodeIdentity.generate()
const newIdentity = NodeIdentity.generate()
const envelope = new TextEncoder().encode('an envelope sealed under the old key')
/** The roster's history for the country: founder key A, rotated to B at version 2. */
const history: AuthorisedKey[] = [
  { publicKey: oldIdentity.signingPublicKey, fromVersion: 0, retired: { how: 'rotated', atVersion: 2 } },
  { publicKey: newIdentity.signingPublicKey, fromVersion: 2 },
]
let work: { path: string; cleanup: () => Promise<void> }
let rotated: string
let copies = 0
let envelopeHash: Uint8Array

/** 12 entries under the old key (checkpoints every 4), a rotation at entry 12, 5 entries under the new key. */
beforeAll(async () => {
  work = await tempDir()
  rotated = join(work.path, 'rotated')
  const before = await openTestLedger(rotated, oldIdentity, { checkpointEvery: { entries: 4 } })
  for (let i = 0; i < 11; i++) await before.append(sampleEvent(i))
  envelopeHash = (await before.append(sampleEvent(11), { blobs: [envelope] })).blobs[0]!
  await before.close()
  const after = await openTestLedger(rotated, newIdentity, {
    checkpointEvery: { entries: 4 },
    // answered later, as the node does when it decrypts the old key's file first
    keyRotation: async () => ({ rosterVersion: 2, previous: oldIdentity }),
  })
  for (let i = 12; i < 17; i++) await after.append(sampleEvent(i))
  await after.checkpoint()
  await after.close()
})

afterAll(() => work.cleanup())

async function copyOf(dir: string): Promise<string> {
  const copy = join(work.path, `copy-${copies++}`)
  await cp(dir, copy, { recursive: true })
  return copy
}

describe('a ledger whose node key was rotated', () => {
  it('refuses a different key when nothing authorises the change', async () => {
    const dir = await copyOf(rotated)
    const stranger = NodeIdentity.generate()
    await expect(openTestLedger(dir, stranger)).rejects.toThrow(LedgerStateError)
    await expect(openTestLedger(dir, stranger)).rejects.toThrow(/different node key/)
    // nor may the rotated-out key come back without a grant
    await expect(openTestLedger(dir, oldIdentity)).rejects.toThrow(/no roster rotation authorises/)
  })

  it('opens with the new key, keeps every entry and records the rotation', async () => {
    const ledger = await openTestLedger(rotated, newIdentity)
    try {
      expect(ledger.size).toBe(18)
      expect(ledger.publicKey).toEqual(newIdentity.signingPublicKey)
      const rotation = await ledger.get(12)
      expect(rotation.kind).toBe('key-rotation')
      expect(rotation.detail?.oldKey).toEqual(oldIdentity.signingPublicKey)
      expect(rotation.detail?.newKey).toEqual(newIdentity.signingPublicKey)
      expect(rotation.detail?.rosterVersion).toBe(2)
      expect(rotation.detail?.oldSignature).toBeInstanceOf(Uint8Array)
      expect((await ledger.get(3)).messageId).toBe('msg-3')
      expect(ledger.keyHistory().map((k) => k.after)).toEqual([-1, 12])
      // the checkpoints of both keys read back, and the blob sealed under the old key opens
      const sizes = (await ledger.checkpoints()).map((c) => c.size)
      expect(sizes).toContain(12)
      expect(sizes).toContain(18)
      expect(await ledger.getBlob(envelopeHash)).toEqual(envelope)
      expect(ledger.keysWithSealedBlobs).toBe(0)
    } finally {
      await ledger.close()
    }
  })

  it('verifies over both keys, pinned to the roster history', async () => {
    const report = await verifyLedger(rotated, {
      keyHistory: history,
      publicKey: newIdentity.signingPublicKey,
    })
    expect(report.problem).toBeUndefined()
    expect(report.ok).toBe(true)
    expect(report.entries).toBe(18)
    expect(report.publicKey).toEqual(newIdentity.signingPublicKey)
    expect(report.earlierKeys?.map((k) => Uint8Array.from(k))).toEqual([oldIdentity.signingPublicKey])
    const withBlobs = await verifyLedger(rotated, { identity: newIdentity })
    expect(withBlobs.ok).toBe(true)
    expect(withBlobs.blobs.hashChecked).toBe(1)
  })

  it('verifies an export bundle over both keys', async () => {
    const dir = await copyOf(rotated)
    const ledger = await openTestLedger(dir, newIdentity)
    const bundle = join(work.path, 'rotated.bundle')
    await ledger.export(bundle)
    await ledger.close()
    const report = await verifyLedger(bundle, { keyHistory: history })
    expect(report.problem).toBeUndefined()
    expect(report.ok).toBe(true)
  })

  it('refuses a key the roster never gave the country', async () => {
    const report = await verifyLedger(rotated, { keyHistory: [history[0]!] })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/not a key the roster gave this country/)
    const wrongVersion = await verifyLedger(rotated, {
      keyHistory: [history[0]!, { ...history[1]!, fromVersion: 3 }],
    })
    expect(wrongVersion.problem?.reason).toMatch(
      /names roster version 2, but the roster gave that key at version 3/,
    )
  })

  it('refuses a checkpoint signed by the retired key after the rotation', async () => {
    const dir = await copyOf(rotated)
    const ledger = await openTestLedger(dir, newIdentity)
    const root = await ledger.root(16)
    await ledger.close()
    const forged = signCheckpoint(
      { origin: ORIGIN, size: 16, root },
      oldIdentity.signer,
      oldIdentity.signingPublicKey,
    )
    await withRawDb(join(dir), (db) => db.put(checkpointKey(16), new TextEncoder().encode(forged.note)))
    const report = await verifyLedger(dir, { keyHistory: history })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/checkpoint at size 16: .*no signature by the key/)
  })

  it('without the old key: the rotation is authorised by the roster alone, old blobs stay sealed', async () => {
    const dir = join(work.path, 'lost-key')
    const before = await openTestLedger(dir, oldIdentity)
    const hash = (await before.append(sampleEvent(0), { blobs: [envelope] })).blobs[0]!
    await before.checkpoint()
    await before.close()
    const after = await openTestLedger(dir, newIdentity, { keyRotation: () => ({ rosterVersion: 2 }) })
    try {
      const rotation = await after.get(1)
      expect(rotation.detail?.oldSignature).toBeUndefined()
      await expect(after.getBlob(hash)).rejects.toThrow(/do not open/)
      expect(after.keysWithSealedBlobs).toBe(1)
    } finally {
      await after.close()
    }
    expect((await verifyLedger(dir, { keyHistory: history })).ok).toBe(true)
  })

  it('leaves a ledger never rotated as it was: one key, pinned to a history of one', async () => {
    const dir = join(work.path, 'never-rotated')
    const ledger = await openTestLedger(dir, oldIdentity)
    for (let i = 0; i < 5; i++) await ledger.append(sampleEvent(i))
    await ledger.checkpoint()
    await ledger.close()
    const report = await verifyLedger(dir, {
      keyHistory: [{ publicKey: oldIdentity.signingPublicKey, fromVersion: 0 }],
    })
    expect(report.ok).toBe(true)
    expect(report.earlierKeys).toBeUndefined()
  })
})
