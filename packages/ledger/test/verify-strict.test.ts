import { cp, readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Signer } from '@pocnet/crypto'
import { encode } from '@pocnet/protocol/cbor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobHash } from '../src/blobs.ts'
import { type BundleRecord, decodeBundleBlob, RECORD, readBundleRecords } from '../src/bundle.ts'
import { checkpointBody, parseCheckpoint } from '../src/checkpoint.ts'
import { MAX_CHECKPOINT_SIGNATURES } from '../src/constants.ts'
import { signCosignature } from '../src/cosignature.ts'
import { addCosignatures } from '../src/cosigned-note.ts'
import { CheckpointFormatError } from '../src/errors.ts'
import { checkpointKey } from '../src/layout.ts'
import { openNote, splitNote } from '../src/signed-note.ts'
import { formatVerifierKey, parseVerifierKey } from '../src/verifier-key.ts'
import { verifyLedger } from '../src/verify.ts'
import { NodeIdentity, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'
import { withRawDb } from './fixtures/stored.ts'

/*
 * What an independent verifier written from docs/ledger.md expects and pocnet once accepted
 * (issue 21): checkpoint order and exact record maps in a bundle, strict signed-note decoding,
 * the checkpoint count, the entry named when a bundle is cut, the file named when a table is.
 */

const ENTRIES = 12
const identity = NodeIdentity.generate()
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
let work: { path: string; cleanup: () => Promise<void> }
let ledgerDir: string
let bundlePath: string
let records: BundleRecord[]
let copies = 0

/** 12 entries, a blob on every fourth, checkpoints at 4, 8 and 12; a bundle with blob bytes. */
beforeAll(async () => {
  work = await tempDir()
  ledgerDir = join(work.path, 'ledger')
  const ledger = await openTestLedger(ledgerDir, identity, { checkpointEvery: { entries: 4 } })
  for (let i = 0; i < ENTRIES; i++) {
    const blobs = i % 4 === 1 ? [new TextEncoder().encode(`envelope ${i}`)] : []
    await ledger.append(sampleEvent(i), { blobs })
  }
  bundlePath = join(work.path, 'ledger.pnlb')
  await ledger.export(bundlePath, { includeBlobBytes: true })
  await ledger.close()
  records = []
  for await (const batch of readBundleRecords(bundlePath)) records.push(...batch)
})
afterAll(async () => {
  await work.cleanup()
})

/** Writes `list` as a bundle file, record by record, exactly as given. */
async function rawBundle(list: BundleRecord[]): Promise<string> {
  const path = join(work.path, `bundle-${copies++}.pnlb`)
  const parts: Uint8Array[] = [Buffer.from('PNLBUNDL')]
  for (const { type, payload } of list) {
    const head = Buffer.alloc(5)
    head[0] = type
    head.writeUInt32BE(payload.length, 1)
    parts.push(head, payload)
  }
  await writeFile(path, Buffer.concat(parts))
  return path
}

/** The exported bundle's records with `edit` applied to each (return undefined to drop one). */
function edited(edit: (r: BundleRecord, index: number) => BundleRecord | BundleRecord[] | undefined) {
  return records.flatMap((r, i) => edit(r, i) ?? [])
}

const ofType = (type: number) => records.filter((r) => r.type === type)
const withPayload = (r: BundleRecord, payload: Uint8Array): BundleRecord => ({ type: r.type, payload })

async function copyOfLedger(): Promise<string> {
  const dir = join(work.path, `ledger-${copies++}`)
  await cp(ledgerDir, dir, { recursive: true })
  return dir
}

it('the exported bundle verifies as it is', async () => {
  const report = await verifyLedger(bundlePath, { threads: 0 })
  expect(report.problem).toBeUndefined()
  expect(ofType(RECORD.checkpoint).length).toBe(3)
})

describe('checkpoints in a bundle come oldest first (item 1)', () => {
  it('refuses a bundle whose checkpoints come newest first, naming the checkpoint out of order', async () => {
    const notes = ofType(RECORD.checkpoint)
    const reversed = [...notes].reverse()
    let c = 0
    const path = await rawBundle(edited((r) => (r.type === RECORD.checkpoint ? reversed[c++] : r)))
    const report = await verifyLedger(path, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem).toEqual({
      reason:
        'checkpoint 2 of the bundle (size 8) comes after one of size 12: a bundle lists its checkpoints oldest first',
    })
  })
})

describe('bundle header, blob and trailer maps hold exactly the documented keys (item 2)', () => {
  const header = () => ofType(RECORD.header)[0]!
  const headerMap = () => ({
    format: 'pocnet-ledger-bundle',
    version: 1,
    origin: parseCheckpoint(new TextDecoder().decode(ofType(RECORD.checkpoint)[0]!.payload)).checkpoint
      .origin,
    publicKey: identity.signingPublicKey,
    size: ENTRIES,
    exportedAt: 1000,
  })

  it('refuses a header with an extra field or without a documented one, naming it', async () => {
    const extra = await rawBundle(
      edited((r) => (r === header() ? withPayload(r, encode({ ...headerMap(), comment: 'hi' })) : r)),
    )
    expect((await verifyLedger(extra, { threads: 0 })).problem).toEqual({
      reason: "export bundle: the header holds field 'comment', which the format does not define",
    })
    const { exportedAt: _, ...lacking } = headerMap()
    const missing = await rawBundle(edited((r) => (r === header() ? withPayload(r, encode(lacking)) : r)))
    expect((await verifyLedger(missing, { threads: 0 })).problem).toEqual({
      reason: "export bundle: the header lacks field 'exportedAt'",
    })
    // the header as documented verifies
    const plain = await rawBundle(edited((r) => (r === header() ? withPayload(r, encode(headerMap())) : r)))
    expect((await verifyLedger(plain, { threads: 0 })).problem).toBeUndefined()
  })

  it('refuses a blob or trailer record with a field the format does not define, naming it', async () => {
    const blob = ofType(RECORD.blob)[0]!
    const path = await rawBundle(
      edited((r) => (r === blob ? withPayload(r, encode({ ...decodeBundleBlob(r.payload), note: 1 })) : r)),
    )
    expect((await verifyLedger(path, { threads: 0 })).problem).toEqual({
      reason: "export bundle: a blob record holds field 'note', which the format does not define",
    })
    const trailer = ofType(RECORD.trailer)[0]!
    const counts = { entries: ENTRIES, checkpoints: 3, blobs: ofType(RECORD.blob).length }
    const extra = await rawBundle(
      edited((r) => (r === trailer ? withPayload(r, encode({ ...counts, extra: 0 })) : r)),
    )
    expect((await verifyLedger(extra, { threads: 0 })).problem).toEqual({
      reason: "export bundle: the trailer holds field 'extra', which the format does not define",
    })
    const { blobs: _, ...lacking } = counts
    const missing = await rawBundle(edited((r) => (r === trailer ? withPayload(r, encode(lacking)) : r)))
    expect((await verifyLedger(missing, { threads: 0 })).problem).toEqual({
      reason: "export bundle: the trailer lacks field 'blobs'",
    })
  })

  it('refuses a blob record no entry refers to whose bytes do not match its hash', async () => {
    const bytes = new TextEncoder().encode('not referenced')
    const hash = blobHash(new TextEncoder().encode('something else'))
    const trailer = ofType(RECORD.trailer)[0]!
    const blobs = ofType(RECORD.blob)
    const counts = { entries: ENTRIES, checkpoints: 3, blobs: blobs.length + 1 }
    const path = await rawBundle(
      edited((r) => {
        if (r === blobs.at(-1)) return [r, { type: RECORD.blob, payload: encode({ hash, bytes }) }]
        return r === trailer ? withPayload(r, encode(counts)) : r
      }),
    )
    for (const threads of [0, 2]) {
      const report = await verifyLedger(path, { threads, chunkEntries: 4, parallelFrom: 0 })
      expect(report.problem).toEqual({
        reason: `the bytes of blob ${Buffer.from(hash).toString('hex')} do not match its hash (no entry refers to it)`,
      })
    }
  })
})

describe('signed notes are decoded strictly (item 3)', () => {
  const latest = () => ofType(RECORD.checkpoint).at(-1)!
  const latestNote = () => new TextDecoder().decode(latest().payload)

  it('refuses a bundle checkpoint preceded by a byte-order mark', async () => {
    const path = await rawBundle(
      edited((r) => (r === latest() ? withPayload(r, Buffer.concat([BOM, r.payload])) : r)),
    )
    const report = await verifyLedger(path, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/^checkpoint 3 of the bundle: checkpoint: origin must be/)
  })

  it('refuses a bundle checkpoint with invalid UTF-8 in the signature line of an unknown key', async () => {
    const line = Buffer.concat([Buffer.from('— other'), Buffer.from([0xff]), Buffer.from(' AAAAAAAA\n')])
    const path = await rawBundle(
      edited((r) => (r === latest() ? withPayload(r, Buffer.concat([r.payload, line])) : r)),
    )
    expect((await verifyLedger(path, { threads: 0 })).problem).toEqual({
      reason: 'checkpoint 3 of the bundle: checkpoint: the note must be valid UTF-8',
    })
  })

  it('refuses a stored checkpoint of a data directory preceded by a byte-order mark', async () => {
    const dir = await copyOfLedger()
    await withRawDb(dir, async (db) => {
      const key = checkpointKey(8)
      await db.put(key, Buffer.concat([BOM, (await db.get(key))!]))
    })
    const report = await verifyLedger(dir, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(/^the stored checkpoint at size 8: checkpoint: origin must be/)
  })

  it('refuses a checkpoint file with invalid UTF-8 in an unknown key line', async () => {
    const dir = await copyOfLedger()
    const file = join(dir, 'checkpoint')
    const line = Buffer.concat([Buffer.from('— x'), Buffer.from([0xff]), Buffer.from(' AAAAAAAA\n')])
    await writeFile(file, Buffer.concat([await readFile(file), line]))
    const report = await verifyLedger(dir, { threads: 0 })
    expect(report.problem?.reason).toMatch(/checkpoint file.*valid UTF-8/)
  })

  it('keeps a byte-order mark as part of the text: a cosignature without it does not verify', () => {
    const witness = new Signer(new Uint8Array(32).fill(7))
    const name = 'witness.example/w'
    const note = latestNote()
    const line = signCosignature(
      { name, publicKey: witness.publicKey, signer: witness },
      checkpointBody(parseCheckpoint(note).checkpoint),
      1_700_000_000,
    )
    const vkey = parseVerifierKey(formatVerifierKey(name, 0x04, witness.publicKey))
    const cosigned = addCosignatures(note, [line])
    expect(openNote(cosigned, [vkey.verifier]).verifiedBy).toHaveLength(1)
    const withBom = new Uint8Array(Buffer.concat([BOM, Buffer.from(cosigned)]))
    let error: unknown
    try {
      openNote(withBom, [vkey.verifier])
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(CheckpointFormatError)
    expect((error as CheckpointFormatError).problem).toBe('invalid-signature')
  })

  it('refuses a key name holding any Unicode white space, or a plus', () => {
    const spaces = [
      0x09, 0x0b, 0x0c, 0x0d, 0x85, 0xa0, 0x1680, 0x2000, 0x2005, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f,
      0x3000,
    ]
    for (const name of [...spaces.map((c) => `na${String.fromCodePoint(c)}me`), 'a+b']) {
      expect(() => splitNote(`text\n\n— ${name} AAAAAAAA\n`), name).toThrow(CheckpointFormatError)
    }
    // a zero-width space is not white space: Go's sumdb/note accepts it too
    expect(splitNote('text\n\n— na\u200bme AAAAAAAA\n').signatures[0]!.name).toBe('na\u200bme')
  })
})

describe('a data directory counts each distinct checkpoint once (item 4)', () => {
  it('counts the checkpoint file and the stored copy of the same note as one', async () => {
    const report = await verifyLedger(ledgerDir, { threads: 0 })
    expect(report.ok).toBe(true)
    expect(report.checkpoints).toBe(3)
  })
})

describe('the rules the documents left open (item 5)', () => {
  it(`refuses a note with more than ${MAX_CHECKPOINT_SIGNATURES} signature lines instead of reading part of it`, () => {
    const note = new TextDecoder().decode(ofType(RECORD.checkpoint).at(-1)!.payload)
    const unknown = (i: number) => `— other.example/${i} AAAAAAAA\n`
    const full = note + Array.from({ length: MAX_CHECKPOINT_SIGNATURES - 1 }, (_, i) => unknown(i)).join('')
    expect(splitNote(full).signatures).toHaveLength(MAX_CHECKPOINT_SIGNATURES)
    expect(() => splitNote(full + unknown(99))).toThrow(
      `checkpoint: a note must have at most ${MAX_CHECKPOINT_SIGNATURES} signature lines`,
    )
  })

  it('names the first entry a cut bundle does not hold whole, wherever the cut falls', async () => {
    const whole = await readFile(bundlePath)
    const entryRecords = ofType(RECORD.entry)
    // where each entry record starts in the file
    const starts: number[] = []
    let at = 8
    for (const r of records) {
      if (r.type === RECORD.entry) starts.push(at)
      at += 5 + r.payload.length
    }
    const cutAt = async (length: number) => {
      const path = join(work.path, `cut-${copies++}.pnlb`)
      await writeFile(path, whole.subarray(0, length))
      const problem = (await verifyLedger(path, { threads: 0 })).problem
      // worker threads, on chunks of 4 entries, agree
      const chunked = await verifyLedger(path, { threads: 2, chunkEntries: 4, parallelFrom: 0 })
      expect(chunked.problem).toEqual(problem)
      return problem
    }
    // inside entry 5's record header, inside its payload, right after it
    expect(await cutAt(starts[5]! + 2)).toEqual({ seq: 5, reason: expect.stringMatching(/truncated/) })
    expect(await cutAt(starts[5]! + 7)).toEqual({ seq: 5, reason: expect.stringMatching(/truncated/) })
    expect(await cutAt(starts[6]!)).toEqual({ seq: 6, reason: expect.stringMatching(/truncated/) })
    // inside the blobs, before any entry; inside the trailer, after the last
    expect(await cutAt(starts[0]! - 3)).toEqual({ seq: 0, reason: expect.stringMatching(/truncated/) })
    expect(entryRecords).toHaveLength(ENTRIES)
    expect(await cutAt(whole.length - 2)).toEqual({
      seq: ENTRIES,
      reason: expect.stringMatching(/truncated/),
    })
  })
})

describe('a damaged table file is named in the data directory (item 6)', () => {
  it('names the truncated table file where the node keeps it, not the temporary copy', async () => {
    const dir = await copyOfLedger()
    // opening the ledger moves its log into a table
    await (await openTestLedger(dir, identity)).close()
    const table = (await readdir(join(dir, 'db'))).find((name) => name.endsWith('.ldb'))!
    await truncate(join(dir, 'db', table), 100)
    const report = await verifyLedger(dir, { threads: 0 })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toContain(join(dir, 'db', table))
    expect(report.problem?.reason).not.toContain('pocnet-ledger-verify-')
  })
})
