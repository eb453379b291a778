import { execFileSync } from 'node:child_process'
import { cp, readdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encode } from '@pocnet/protocol/cbor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobHash } from '../src/blobs.ts'
import {
  type BundleRecord,
  decodeBundleBlob,
  decodeBundleHeader,
  RECORD,
  readBundleRecords,
  writeBundle,
} from '../src/bundle.ts'
import { signCheckpoint } from '../src/checkpoint.ts'
import { MAX_CHECKPOINT_BYTES } from '../src/constants.ts'
import { encodeEntry } from '../src/entry.ts'
import {
  blobKey,
  checkpointKey,
  entryKey,
  entryValue,
  META_KEY,
  PREFIX,
  prefixRange,
  readU64,
  TILE_WIDTH,
  tileKey,
} from '../src/layout.ts'
import { EMPTY_ROOT, hashLeaf } from '../src/merkle.ts'
import { type VerifyOptions, type VerifyProgress, verifyLedger as verifyWith } from '../src/verify.ts'
import { NodeIdentity, ORIGIN, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'
import { type RawDb, readStored, withRawDb, writeStored } from './fixtures/stored.ts'

const ENTRIES = 40
const identity = NodeIdentity.generate()
let work: { path: string; cleanup: () => Promise<void> }
let pristine: string
let copies = 0

/** 40 entries, a blob on every fifth, a checkpoint every 10 entries. */
beforeAll(async () => {
  work = await tempDir()
  pristine = join(work.path, 'pristine')
  const ledger = await openTestLedger(pristine, identity, { checkpointEvery: { entries: 10 } })
  for (let i = 0; i < ENTRIES; i++) {
    const blobs = i % 5 === 0 ? [new TextEncoder().encode(`envelope ${i}`)] : []
    await ledger.append(sampleEvent(i), { blobs })
  }
  await ledger.close()
})
afterAll(async () => {
  await work.cleanup()
})

/*
 * Every test runs twice: all on the calling thread, and with worker threads on chunks of 8
 * entries (so chunk edges fall between and on checkpoints). A problem the workers miss would
 * show as an OK report; a problem they find is reported by an in-order second pass.
 */
const MODES: Array<{ mode: string; options: VerifyOptions; threads: number }> = [
  { mode: 'one thread', options: { threads: 0 }, threads: 0 },
  { mode: 'worker threads', options: { threads: 2, chunkEntries: 8, parallelFrom: 0 }, threads: 2 },
]

/** A copy of a ledger (the pristine one unless said), changed by `tamper` through a raw LevelDB handle. */
async function tampered(tamper: (db: RawDb) => Promise<void>, source = pristine): Promise<string> {
  const dir = join(work.path, `copy-${copies++}`)
  await cp(source, dir, { recursive: true })
  await withRawDb(dir, tamper)
  return dir
}

describe.each(MODES)('verifying a data directory ($mode)', ({ options: mode, threads }) => {
  const verifyLedger = (path: string, options: VerifyOptions = {}) =>
    verifyWith(path, { ...options, ...mode })

  it('reports OK with figures and progress for an untouched ledger', async () => {
    const progress: VerifyProgress[] = []
    const report = await verifyLedger(pristine, { identity, onProgress: (p) => progress.push(p) })
    expect(report.problem).toBeUndefined()
    expect(report.ok).toBe(true)
    expect(report.threads).toBe(threads)
    expect(report.entries).toBe(ENTRIES)
    expect(report.latestCheckpoint?.size).toBe(ENTRIES)
    // four stored checkpoints; the latest-checkpoint file repeats the last of them
    expect(report.checkpoints).toBe(4)
    expect(report.blobs).toEqual({ referenced: 8, hashChecked: 8, storedChecked: 0, presenceOnly: 0 })
    expect(progress.at(-1)).toEqual({ verified: ENTRIES, total: ENTRIES })
    // without the node key, blobs are checked as stored against their entries' commitments
    const keyless = await verifyLedger(pristine)
    expect(keyless.ok).toBe(true)
    expect(keyless.blobs).toEqual({ referenced: 8, hashChecked: 0, storedChecked: 8, presenceOnly: 0 })
  })

  it('works while the ledger is open and never writes to the directory', async () => {
    const dir = await tampered(async () => {})
    const ledger = await openTestLedger(dir, identity)
    // every file as it was: the verifier opens a copy of every file, never a link to one
    const snapshot = async () =>
      Promise.all(
        (await readdir(join(dir, 'db'))).sort().map(async (name) => {
          const path = join(dir, 'db', name)
          return { name, bytes: await readFile(path), mtime: (await stat(path)).mtimeMs }
        }),
      )
    const before = await snapshot()
    expect(before.some((file) => file.name.endsWith('.ldb'))).toBe(true)
    const report = await verifyLedger(dir, { identity })
    expect(report.ok).toBe(true)
    expect(await snapshot()).toEqual(before)
    await ledger.close()
  })

  it('names the entry when one byte of it changed', async () => {
    const dir = await tampered(async (db) => {
      const bytes = (await db.get(entryKey(17)))!.slice()
      const at = Buffer.from(bytes).indexOf('msg-17')
      bytes[at + 4] = '8'.charCodeAt(0)
      await db.put(entryKey(17), bytes)
    })
    const progress: VerifyProgress[] = []
    const report = await verifyLedger(dir, { identity, onProgress: (p) => progress.push(p) })
    expect(report.ok).toBe(false)
    expect(report.problem).toEqual({ seq: 17, reason: expect.stringMatching(/entry 17 does not match/) })
    expect(report.entries).toBe(17)
    // a problem found by workers is named by an in-order pass, and the progress says which pass
    expect(report.threads).toBe(0)
    expect(progress.some((p) => p.recheck === true)).toBe(threads > 0)
  })

  it('names a deleted entry', async () => {
    const dir = await tampered((db) => db.del(entryKey(23)))
    const report = await verifyLedger(dir, { identity })
    expect(report.problem).toEqual({ seq: 23, reason: expect.stringMatching(/entry 23 is missing/) })
  })

  it('names the first of two swapped entries', async () => {
    const dir = await tampered(async (db) => {
      const a = (await db.get(entryKey(12)))!
      const b = (await db.get(entryKey(31)))!
      await db.batch([
        { type: 'put', key: entryKey(12), value: b },
        { type: 'put', key: entryKey(31), value: a },
      ])
    })
    const report = await verifyLedger(dir, { identity })
    expect(report.problem).toEqual({
      seq: 12,
      reason: expect.stringMatching(/entry 12 carries sequence number 31/),
    })
  })

  it('names the first missing entry when the tail below the latest checkpoint is truncated', async () => {
    const dir = await tampered(async (db) => {
      for (let seq = 35; seq < ENTRIES; seq++) await db.del(entryKey(seq))
    })
    const report = await verifyLedger(dir, { identity })
    expect(report.problem).toEqual({ seq: 35, reason: expect.stringMatching(/entries 35..39 are missing/) })
  })

  it('names the entry whose blob was replaced, or deleted', async () => {
    const replaced = await tampered(async (db) => {
      const other = (await db.get(blobKey(blobHash(new TextEncoder().encode('envelope 20')))))!
      await db.put(blobKey(blobHash(new TextEncoder().encode('envelope 10'))), other)
    })
    const report = await verifyLedger(replaced, { identity })
    expect(report.problem).toEqual({
      seq: 10,
      reason: expect.stringMatching(/entry 10 refers to blob .* altered/),
    })

    const deleted = await tampered((db) => db.del(blobKey(blobHash(new TextEncoder().encode('envelope 25')))))
    const keyless = await verifyLedger(deleted)
    expect(keyless.problem).toEqual({
      seq: 25,
      reason: expect.stringMatching(/entry 25 refers to blob .* missing/),
    })
  })

  it('names the entry whose stored blob bytes were flipped in the table file, without the node key', async () => {
    const hash = blobHash(new TextEncoder().encode('envelope 15'))
    // opening the copy writes LevelDB's log into a table file, where the sealed blob then lies
    const base = await tampered(async () => {})
    const sealed = await withRawDb(base, async (db) => (await db.get(blobKey(hash)))!.slice())
    const tables = (await readdir(join(base, 'db'))).filter((name) => name.endsWith('.ldb'))
    // one byte flipped at a time, in the nonce, the authenticator and the ciphertext, as an auditor found it
    for (const offset of [0, 20, 30, sealed.length - 1]) {
      const dir = join(work.path, `copy-${copies++}`)
      await cp(base, dir, { recursive: true })
      let flipped = false
      for (const name of tables) {
        const path = join(dir, 'db', name)
        const file = await readFile(path)
        const at = file.indexOf(sealed)
        if (at < 0) continue
        file[at + offset]! ^= 0x01
        await writeFile(path, file)
        flipped = true
      }
      expect(flipped, 'the sealed blob lies in a table file').toBe(true)
      const report = await verifyLedger(dir)
      expect(report.ok, `offset ${offset}`).toBe(false)
      expect(report.problem).toEqual({
        seq: 15,
        reason: expect.stringMatching(/entry 15 refers to blob .* whose stored bytes were altered/),
      })
    }
  })

  it('catches a rewrite that also fixed the stored leaf hash, at the next checkpoint', async () => {
    const dir = await tampered(async (db) => {
      const bytes = (await db.get(entryKey(14)))!.slice()
      const at = Buffer.from(bytes).indexOf('msg-14')
      bytes[at + 5] = '9'.charCodeAt(0)
      // the stored value is leaf hash || entry bytes: recompute the leaf over the changed bytes
      bytes.set(hashLeaf(bytes.subarray(32)), 0)
      await db.put(entryKey(14), bytes)
    })
    const report = await verifyLedger(dir, { identity })
    expect(report.problem).toEqual({
      seq: 10,
      reason: expect.stringMatching(/entries 10..19 do not hash to the root/),
    })
  })

  it('rejects a forged checkpoint and a ledger signed by an unexpected key', async () => {
    const dir = await tampered(async (db) => {
      const note = new TextDecoder().decode((await db.get(checkpointKey(20)))!)
      await db.put(checkpointKey(20), new TextEncoder().encode(note.replace('\n20\n', '\n21\n')))
    })
    const report = await verifyLedger(dir, { identity })
    expect(report.ok).toBe(false)
    expect(report.problem?.seq).toBeUndefined()
    expect(report.problem?.reason).toMatch(/checkpoint at size 20/)

    const pinned = await verifyLedger(pristine, { publicKey: NodeIdentity.generate().signingPublicKey })
    expect(pinned.problem?.reason).toMatch(/is not the expected key/)
    const otherLog = await verifyLedger(pristine, { origin: 'pocnet.invalid/other-net/FR' })
    expect(otherLog.problem?.reason).toMatch(/are of the log ".+", not "pocnet.invalid\/other-net\/FR"/)
    const wrongIdentity = await verifyLedger(pristine, { identity: NodeIdentity.generate() })
    expect(wrongIdentity.problem?.reason).toMatch(/not this ledger's node key/)
  })

  it('reports a directory without a ledger', async () => {
    const report = await verifyLedger(work.path)
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/holds no ledger database/)
  })

  it('reports a damaged format record or record key as a problem, without throwing', async () => {
    for (const [meta, rule] of [
      [new Uint8Array([0xff, 0x00]), /format record is not valid CBOR/],
      [new Uint8Array([0xf6]), /not a version 1 or 2/],
    ] as const) {
      const dir = await tampered((db) => db.put(META_KEY, meta))
      const report = await verifyLedger(dir)
      expect(report.ok).toBe(false)
      expect(report.problem?.reason).toMatch(rule)
    }
    for (const prefix of [PREFIX.tile, PREFIX.checkpoint, PREFIX.entry]) {
      const dir = await tampered((db) => db.put(new Uint8Array([prefix, 1, 2]), new Uint8Array(4)))
      const report = await verifyLedger(dir)
      expect(report.ok).toBe(false)
      expect(report.problem?.reason).toBe(`a key under prefix 0x${prefix.toString(16)} is 3 bytes, not 9`)
    }
  })

  it('refuses a latest-checkpoint file over the size limit without reading it whole', async () => {
    const dir = await tampered(async () => {})
    await writeFile(join(dir, 'checkpoint'), Buffer.alloc(64 * 1024 * 1024, 0x61))
    const report = await verifyLedger(dir)
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toBe(`the checkpoint file is over ${MAX_CHECKPOINT_BYTES} bytes`)
  })
})

it('stops workers it started early for a source that then holds too few entries to use them', async () => {
  // the database's files take more than 200 bytes per entry here, so its size suggests 50+ entries
  const report = await verifyWith(pristine, { threads: 2, parallelFrom: ENTRIES + 10 })
  expect(report.ok).toBe(true)
  expect(report.threads).toBe(0)
})

it('refuses a chunk size that is not a power of two (chunks must be perfect subtrees)', async () => {
  await expect(verifyWith(pristine, { threads: 2, parallelFrom: 0, chunkEntries: 6 })).rejects.toThrow(
    /power of two/,
  )
})

describe.each(MODES)('verifying an export bundle ($mode)', ({ options: mode, threads }) => {
  const verifyLedger = (path: string, options: VerifyOptions = {}) =>
    verifyWith(path, { ...options, ...mode })

  let bundle: string
  let bundleWithBlobs: string
  let entry8: Uint8Array
  beforeAll(async () => {
    const ledger = await openTestLedger(await tampered(async () => {}), identity)
    entry8 = await ledger.getBytes(8)
    bundle = join(work.path, 'ledger.pnlb')
    bundleWithBlobs = join(work.path, 'ledger-with-blobs.pnlb')
    await ledger.export(bundle)
    await ledger.export(bundleWithBlobs, { includeBlobBytes: true })
    await ledger.close()
  })

  it('reports OK with the same figures as the data directory', async () => {
    const report = await verifyLedger(bundle)
    expect(report.ok).toBe(true)
    expect(report.threads).toBe(threads)
    expect(report.source).toBe('bundle')
    expect(report.entries).toBe(ENTRIES)
    expect(report.checkpoints).toBe(4)
    expect(report.latestCheckpoint?.size).toBe(ENTRIES)
    expect(report.blobs).toEqual({ referenced: 8, hashChecked: 0, storedChecked: 0, presenceOnly: 8 })
    expect(report.publicKey).toEqual(identity.signingPublicKey)
    const withBlobs = await verifyLedger(bundleWithBlobs)
    expect(withBlobs.blobs).toEqual({ referenced: 8, hashChecked: 8, storedChecked: 0, presenceOnly: 0 })
    // message contents travel only when asked for
    const text = (await readFile(bundle)).toString('latin1')
    expect(text.includes('envelope 10')).toBe(false)
    expect((await readFile(bundleWithBlobs)).toString('latin1').includes('envelope 10')).toBe(true)
  })

  async function changed(edit: (bytes: Buffer) => Buffer): Promise<string> {
    const path = join(work.path, `bundle-${copies++}.pnlb`)
    await writeFile(path, edit(await readFile(bundleWithBlobs)))
    return path
  }

  /** The bundle rewritten with only the checkpoints `keep` accepts, its counts made to match. */
  async function rewrittenWithCheckpoints(keep: (note: string) => boolean): Promise<string> {
    const records: BundleRecord[] = []
    for await (const batch of readBundleRecords(bundleWithBlobs)) records.push(...batch)
    const of = (type: number) => records.filter((r) => r.type === type).map((r) => r.payload)
    const path = join(work.path, `bundle-${copies++}.pnlb`)
    await writeBundle(path, {
      ...decodeBundleHeader(of(RECORD.header)[0]!),
      checkpoints: of(RECORD.checkpoint)
        .map((note) => new TextDecoder().decode(note))
        .filter(keep),
      blobs: (async function* () {
        yield* of(RECORD.blob).map(decodeBundleBlob)
      })(),
      entries: (async function* () {
        yield* of(RECORD.entry)
      })(),
    })
    return path
  }

  it('fails on a bundle stripped of every checkpoint, even with the key pinned', async () => {
    const stripped = await rewrittenWithCheckpoints(() => false)
    const report = await verifyLedger(stripped, { publicKey: identity.signingPublicKey })
    expect(report.ok).toBe(false)
    expect(report.problem).toEqual({
      seq: 0,
      reason: expect.stringMatching(/no signed checkpoint covers any of the 40 entries/),
    })
    // accepted when asked for, the unsigned view starting at entry 0
    const allowed = await verifyLedger(stripped, { allowUnsignedTail: true })
    expect(allowed.ok).toBe(true)
    expect(allowed.unsignedFrom).toBe(0)
  })

  it('fails on a bundle whose latest checkpoint does not cover its last entry, naming the first unsigned one', async () => {
    const cut = await rewrittenWithCheckpoints((note) => Number(note.split('\n')[1]) <= 30)
    const report = await verifyLedger(cut)
    expect(report.ok).toBe(false)
    expect(report.problem).toEqual({
      seq: 30,
      reason: expect.stringMatching(/entries 30..39 come after the latest signed checkpoint \(size 30\)/),
    })
    const allowed = await verifyLedger(cut, { allowUnsignedTail: true })
    expect(allowed.ok).toBe(true)
    expect(allowed.unsignedFrom).toBe(30)
    expect(allowed.latestCheckpoint?.size).toBe(30)
    // the honest export ends at a checkpoint of its last entry
    expect((await verifyLedger(bundle)).unsignedFrom).toBeUndefined()
  })

  it('fails on a changed entry, naming it or the first entry of the checkpoint range holding it', async () => {
    const path = await changed((b) => {
      const at = b.indexOf('msg-27')
      b[at + 5] = '3'.charCodeAt(0)
      return b
    })
    const report = await verifyLedger(path)
    expect(report.ok).toBe(false)
    expect(report.problem).toEqual({ seq: 20, reason: expect.stringMatching(/entries 20..29 do not hash/) })
  })

  it('fails on a changed blob, naming the entry that refers to it', async () => {
    const path = await changed((b) => {
      const at = b.indexOf('envelope 35')
      b[at] = 'E'.charCodeAt(0)
      return b
    })
    const report = await verifyLedger(path)
    expect(report.problem).toEqual({ seq: 35, reason: expect.stringMatching(/entry 35 .* altered/) })
  })

  it('fails on a removed entry record, naming it', async () => {
    const path = await changed((b) => {
      // an entry record is 'E', a 4-byte length, then the entry's exact bytes
      const recordStart = b.indexOf(entry8) - 5
      expect(b[recordStart]).toBe(0x45)
      return Buffer.concat([b.subarray(0, recordStart), b.subarray(recordStart + 5 + entry8.length)])
    })
    const report = await verifyLedger(path)
    expect(report.ok).toBe(false)
    expect(report.problem?.seq).toBe(8)
  })

  it('fails on a truncated bundle', async () => {
    const path = await changed((b) => b.subarray(0, b.length - 30))
    const report = await verifyLedger(path)
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/truncated/)
  })

  it('fails on a file that is not a bundle', async () => {
    const path = await changed(() => Buffer.from('hello'))
    const report = await verifyLedger(path)
    expect(report.problem?.reason).toMatch(/magic/)
  })
})

/*
 * A ledger past its first full tiles: entries 0..511 live in two tile records, 512..551 alone.
 * Tampering inside a tile must be named as precisely as tampering with an entry stored alone,
 * with the tile split across chunks (chunks of 8) and handed to a worker whole (chunks of 512).
 */
const TILED_ENTRIES = 2 * TILE_WIDTH + 40
const TILED_MODES = [
  ...MODES,
  {
    mode: 'worker threads, whole tiles',
    options: { threads: 2, chunkEntries: 512, parallelFrom: 0 },
    threads: 2,
  },
]

describe.each(TILED_MODES)(
  'verifying a data directory with full tiles ($mode)',
  ({ options: mode, threads }) => {
    const verifyLedger = (path: string, options: VerifyOptions = {}) =>
      verifyWith(path, { ...options, ...mode })
    let tiledPristine: string
    let root: Uint8Array

    const tamperedTiles = (tamper: (db: RawDb) => Promise<void>) => tampered(tamper, tiledPristine)

    beforeAll(async () => {
      tiledPristine = join(work.path, `tiled-pristine-${copies++}`)
      const ledger = await openTestLedger(tiledPristine, identity, { checkpointEvery: { entries: 100 } })
      while (ledger.size < TILED_ENTRIES) {
        const i = ledger.size
        if (i % 50 === 0)
          await ledger.append(sampleEvent(i), { blobs: [new TextEncoder().encode(`blob ${i}`)] })
        else
          await ledger.appendBatch(
            Array.from({ length: Math.min(37, TILED_ENTRIES - i) }, (_, k) => sampleEvent(i + k)),
          )
      }
      await ledger.checkpoint()
      root = await ledger.root()
      await ledger.close()
    })

    it('reports OK with the ledger root, reading the tiles and the entries after them', async () => {
      const report = await verifyLedger(tiledPristine, { identity })
      expect(report.problem).toBeUndefined()
      expect(report.threads).toBe(threads)
      expect(report.entries).toBe(TILED_ENTRIES)
      expect(report.root).toEqual(root)
      expect(report.blobs.hashChecked).toBe(report.blobs.referenced)
      expect(report.blobs.referenced).toBeGreaterThan(0)
      await withRawDb(tiledPristine, async (db) => {
        expect((await readStored(db, 300)).inTile).toBe(true)
        expect((await readStored(db, 520)).inTile).toBe(false)
      })
    })

    it('names the entry in a tile when one byte of it changed', async () => {
      const dir = await tamperedTiles(async (db) => {
        const entry = await readStored(db, 300)
        const at = Buffer.from(entry.bytes).indexOf('msg-300')
        entry.bytes[at + 4] = '4'.charCodeAt(0)
        await writeStored(db, 300, entry)
      })
      const report = await verifyLedger(dir, { identity })
      expect(report.problem).toEqual({ seq: 300, reason: expect.stringMatching(/entry 300 does not match/) })
    })

    it('names an entry taken out of its tile, and two entries swapped inside one', async () => {
      const removed = await tamperedTiles((db) => writeStored(db, 300, undefined))
      expect((await verifyLedger(removed, { identity })).problem).toEqual({
        seq: 300,
        reason: expect.stringMatching(/entry 300 carries sequence number 301/),
      })
      const lastCut = await tamperedTiles((db) => writeStored(db, 2 * TILE_WIDTH - 1, undefined))
      expect((await verifyLedger(lastCut, { identity })).problem).toEqual({
        seq: 511,
        reason: expect.stringMatching(/entry 511 is missing from tile 1 \(entries 256..511\)/),
      })
      const swapped = await tamperedTiles(async (db) => {
        const a = await readStored(db, 260)
        const b = await readStored(db, 290)
        await writeStored(db, 260, b)
        await writeStored(db, 290, a)
      })
      expect((await verifyLedger(swapped, { identity })).problem).toEqual({
        seq: 260,
        reason: expect.stringMatching(/entry 260 carries sequence number 290/),
      })
    })

    it('names the first entry of a deleted tile, and an entry stored a second time', async () => {
      const deleted = await tamperedTiles((db) => db.del(tileKey(1)))
      expect((await verifyLedger(deleted, { identity })).problem).toEqual({
        seq: 256,
        reason: expect.stringMatching(/entry 256 is missing \(the next stored entry is 512\)/),
      })
      const twice = await tamperedTiles(async (db) => {
        const entry = await readStored(db, 300)
        await db.put(entryKey(300), entryValue(entry.leafHash, entry.bytes))
      })
      expect((await verifyLedger(twice, { identity })).problem).toEqual({
        seq: 300,
        reason: expect.stringMatching(/entry 300 is stored more than once/),
      })
    })

    it('fails on any one changed byte of a tile, naming an entry of that tile', async () => {
      const value = await withRawDb(tiledPristine, async (db) => (await db.get(tileKey(1)))!.slice())
      // one byte in each part (count, leaf hashes, end offsets, entry bytes), then spread at random
      const endsAt = 4 + TILE_WIDTH * 32
      const positions = [2, 4 + 40 * 32 + 7, endsAt + 17 * 4 + 3, endsAt + TILE_WIDTH * 4 + 99]
      let x = 2026
      while (positions.length < 16) {
        x = (x * 1103515245 + 12345) % 2 ** 31
        positions.push(x % value.length)
      }
      for (const at of positions) {
        const dir = await tampered(async (db) => {
          const changed = value.slice()
          changed[at]! ^= 1 << (at % 8)
          await db.put(tileKey(1), changed)
        }, tiledPristine)
        const report = await verifyLedger(dir, { identity })
        expect(report.ok, `byte ${at}`).toBe(false)
        expect(report.problem?.seq, `byte ${at}: ${report.problem?.reason}`).toBeGreaterThanOrEqual(
          TILE_WIDTH,
        )
        expect(report.problem?.seq, `byte ${at}: ${report.problem?.reason}`).toBeLessThan(2 * TILE_WIDTH)
      }
    })

    it('names the tile whose layout was damaged', async () => {
      const dir = await tamperedTiles(async (db) => {
        const value = (await db.get(tileKey(1)))!.slice()
        // the end offsets follow the count and the 256 leaf hashes: make entry 10's end run backwards
        new DataView(value.buffer).setUint32(4 + TILE_WIDTH * 32 + 10 * 4, 1)
        await db.put(tileKey(1), value)
      })
      expect((await verifyLedger(dir, { identity })).problem).toEqual({
        seq: 256,
        reason: expect.stringMatching(/tile 1 \(entries 256..511\) has a bad end offset for its entry 10/),
      })
    })

    it('catches a rewrite inside a tile that also fixed the stored leaf hash, at the next checkpoint', async () => {
      const checkpoints: number[] = []
      const dir = await tamperedTiles(async (db) => {
        for await (const key of db.keys(prefixRange(new Uint8Array([PREFIX.checkpoint]))))
          checkpoints.push(readU64(key, 1))
        const entry = await readStored(db, 300)
        const at = Buffer.from(entry.bytes).indexOf('msg-300')
        entry.bytes[at + 4] = '4'.charCodeAt(0)
        await writeStored(db, 300, { bytes: entry.bytes, leafHash: hashLeaf(entry.bytes) })
      })
      const before = Math.max(...checkpoints.filter((size) => size <= 300))
      const after = Math.min(...checkpoints.filter((size) => size > 300))
      expect((await verifyLedger(dir, { identity })).problem).toEqual({
        seq: before,
        reason: expect.stringContaining(`entries ${before}..${after - 1} do not hash to the root`),
      })
    })

    it('names the first missing entry when the last tile and the entries after it are gone', async () => {
      const dir = await tamperedTiles(async (db) => {
        await db.del(tileKey(1))
        for (let seq = 2 * TILE_WIDTH; seq < TILED_ENTRIES; seq++) await db.del(entryKey(seq))
      })
      expect((await verifyLedger(dir, { identity })).problem).toEqual({
        seq: 256,
        reason: expect.stringMatching(new RegExp(`entries 256..${TILED_ENTRIES - 1} are missing`)),
      })
    })
  },
)

/*
 * Sources an operator crafted to mislead the auditor or to harm the auditor's machine: the report
 * must be a failure naming the problem (or an OK that is true), in bounded time, never a throw.
 */
describe('hostile sources', () => {
  async function* items<T>(list: T[]): AsyncGenerator<T> {
    for (const x of list) yield x
  }

  /** A bundle written record by record as given, signed by `identity` unless said. */
  async function craftedBundle(
    contents: {
      origin?: string
      size?: number
      checkpoints?: string[]
      blobs?: Array<{ hash: Uint8Array; bytes?: Uint8Array }>
      entries?: Uint8Array[]
    } = {},
  ): Promise<string> {
    const path = join(work.path, `crafted-${copies++}.pnlb`)
    await writeBundle(path, {
      origin: contents.origin ?? ORIGIN,
      publicKey: identity.signingPublicKey,
      size: contents.size ?? contents.entries?.length ?? 0,
      exportedAt: 0,
      checkpoints: contents.checkpoints ?? [],
      blobs: items(contents.blobs ?? []),
      entries: items(contents.entries ?? []),
    })
    return path
  }

  it('checks many checkpoints of one size in linear time', async () => {
    const empty = signCheckpoint(
      { origin: ORIGIN, size: 0, root: EMPTY_ROOT },
      identity.signer,
      identity.signingPublicKey,
    )
    // a 4 MB bundle: comparing each checkpoint with every other of its size took about 20 s here
    const path = await craftedBundle({ checkpoints: Array(20_000).fill(empty.note) })
    const started = performance.now()
    const report = await verifyWith(path, { threads: 0 })
    expect(report.ok).toBe(true)
    // one checkpoint, however many times the bundle repeats it
    expect(report.checkpoints).toBe(1)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('puts no control character from the source into the report', async () => {
    // with no checkpoint to compare it with, the origin was taken as the header said: a terminal
    // showing the report would run its escape sequences (here: erase the line above)
    const origin = `${ORIGIN}\u001b[1A\u001b[2K`
    const lying = await verifyWith(await craftedBundle({ origin, entries: [] }), { threads: 0 })
    expect(lying.ok).toBe(false)
    expect(lying.problem?.reason).toMatch(/origin is not a valid checkpoint origin/)
    expect(lying.origin).toBeUndefined()
    // a reason quoting the source (an unknown field's name) escapes what it quotes
    const entry = encode({ v: 1, seq: 0, time: 1000, kind: 'admin-action', actor: 'node', '\u001b[2K': 1 })
    const report = await verifyWith(await craftedBundle({ entries: [entry] }), { threads: 0 })
    expect(report.problem).toEqual({ seq: 0, reason: expect.stringContaining("'\\u{1b}[2K'") })
    expect([...(report.problem?.reason ?? '')].filter((ch) => ch < ' ')).toEqual([])
  })

  it('copies only regular files of a data directory: no link out of it, no FIFO', async () => {
    const linked = await tampered(async () => {})
    const log = (await readdir(join(linked, 'db'))).find((name) => name.endsWith('.log'))!
    // the log moved out of the directory and linked back: the copy read it through the link
    await rename(join(linked, 'db', log), join(work.path, `outside-${copies}.log`))
    await symlink(join(work.path, `outside-${copies}.log`), join(linked, 'db', log))
    const report = await verifyWith(linked, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/not a regular file/)

    // a FIFO named like a log: the copy waited forever for a writer
    const withFifo = await tampered(async () => {})
    try {
      execFileSync('mkfifo', [join(withFifo, 'db', '999999.log')])
    } catch {
      return // no mkfifo here
    }
    const fifo = await verifyWith(withFifo, { threads: 0 })
    expect(fifo.problem?.reason).toMatch(/999999\.log is not a regular file/)
  })

  it('reports a damaged LevelDB table as a problem instead of throwing', async () => {
    const dir = await tampered(async () => {})
    // opening the ledger moves its log into a table
    await (await openTestLedger(dir, identity)).close()
    const table = (await readdir(join(dir, 'db'))).find((name) => name.endsWith('.ldb'))!
    const bytes = await readFile(join(dir, 'db', table))
    for (let i = 100; i < Math.min(bytes.length - 100, 2000); i += 37) bytes[i]! ^= 0xff
    await writeFile(join(dir, 'db', table), bytes)
    const report = await verifyWith(dir, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/the ledger database cannot be read: Corruption/)
  })

  it('never reports more entries verified than in all, whatever the bundle header declares', async () => {
    const entries = Array.from({ length: 20 }, (_, i) =>
      encodeEntry({ ...sampleEvent(i), seq: i, time: 1000, blobs: [] }),
    )
    // a header that declares 1 entry, and a trailer that counts the 20 there are
    const head = (type: number, payload: Uint8Array) => {
      const record = Buffer.alloc(5)
      record[0] = type
      record.writeUInt32BE(payload.length, 1)
      return [record, payload]
    }
    const header = { format: 'pocnet-ledger-bundle', version: 1, origin: ORIGIN, size: 1, exportedAt: 0 }
    const path = join(work.path, `lying-header-${copies++}.pnlb`)
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from('PNLBUNDL'),
        ...head(0x48, encode({ ...header, publicKey: identity.signingPublicKey })),
        ...entries.flatMap((entry) => head(0x45, entry)),
        ...head(0x5a, encode({ entries: 20, checkpoints: 0, blobs: 0 })),
      ]),
    )
    for (const options of MODES.map((m) => m.options)) {
      const progress: VerifyProgress[] = []
      // the CLI's progress bar threw a RangeError (a negative repeat count) on verified > total
      const report = await verifyWith(path, { ...options, onProgress: (p) => progress.push(p) })
      expect(report.problem).toEqual({
        seq: 1,
        reason: expect.stringMatching(/the bundle header declares 1 entries but holds 20/),
      })
      expect(progress.filter((p) => p.verified > p.total)).toEqual([])
    }
  })

  it('names the first entry past a count the bundle lies about, and no entry for other counts', async () => {
    const entries = Array.from({ length: 5 }, (_, i) =>
      encodeEntry({ ...sampleEvent(i), seq: i, time: 1000, blobs: [] }),
    )
    const original = await readFile(await craftedBundle({ entries }))
    const trailer = (counts: { entries: number; checkpoints: number; blobs: number }) => {
      const payload = encode(counts)
      const head = Buffer.alloc(5)
      head[0] = 0x5a
      head.writeUInt32BE(payload.length, 1)
      const path = join(work.path, `lying-trailer-${copies++}.pnlb`)
      // the trailer is the last record
      const old = encode({ entries: 5, checkpoints: 0, blobs: 0 })
      return writeFile(
        path,
        Buffer.concat([original.subarray(0, original.length - 5 - old.length), head, payload]),
      ).then(() => path)
    }
    // the entries after a cut made where the trailer says: entry 3 is the first extra one
    const fewer = await verifyWith(await trailer({ entries: 3, checkpoints: 0, blobs: 0 }), { threads: 0 })
    expect(fewer.problem).toEqual({
      seq: 3,
      reason: expect.stringMatching(/counts 3 entries but .* holds 5/),
    })
    // entries 5 and 6 are missing
    const more = await verifyWith(await trailer({ entries: 7, checkpoints: 0, blobs: 0 }), { threads: 0 })
    expect(more.problem?.seq).toBe(5)
    // no entry is wrong when the blob count is
    const blobs = await verifyWith(await trailer({ entries: 5, checkpoints: 0, blobs: 1 }), { threads: 0 })
    expect(blobs.problem).toEqual({ reason: expect.stringMatching(/checkpoint and blob records/) })
  })

  it('refuses a bundle that lists a blob twice (bytes of another blob, then the hash alone)', async () => {
    const envelope = new TextEncoder().encode('the envelope')
    const hash = blobHash(envelope)
    const entry = encodeEntry({ ...sampleEvent(0), seq: 0, time: 1000, blobs: [hash] })
    const forged = new TextEncoder().encode('another envelope')
    const path = await craftedBundle({ blobs: [{ hash, bytes: forged }, { hash }], entries: [entry] })
    const report = await verifyWith(path, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/lists blob [0-9a-f]{64} more than once/)
    // the bytes alone are found altered, naming the entry
    const altered = await verifyWith(
      await craftedBundle({ blobs: [{ hash, bytes: forged }], entries: [entry] }),
    )
    expect(altered.problem).toEqual({ seq: 0, reason: expect.stringMatching(/altered/) })
  })
})
