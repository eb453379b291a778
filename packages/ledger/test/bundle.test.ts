import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeBundleBlob,
  decodeBundleHeader,
  RECORD,
  readBundleRecords,
  writeBundle,
} from '../src/bundle.ts'
import { BundleFormatError } from '../src/errors.ts'
import { tempDir } from './fixtures/ledger.ts'

let work: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

async function* items<T>(list: T[]): AsyncGenerator<T> {
  for (const x of list) yield x
}

async function collect(path: string) {
  const out = []
  for await (const batch of readBundleRecords(path)) out.push(...batch)
  return out
}

describe('bundle files', () => {
  it('hold header, checkpoints, blobs, entries and trailer, in that order', async () => {
    const path = join(work.path, 'a.pnlb')
    const hash = new Uint8Array(32).fill(3)
    await writeBundle(path, {
      origin: 'pocnet.invalid/n/FR',
      publicKey: new Uint8Array(32).fill(1),
      size: 2,
      exportedAt: 1000,
      checkpoints: ['note'],
      blobs: items([{ hash }, { hash, bytes: new Uint8Array([9]) }]),
      entries: items([new Uint8Array([1]), new Uint8Array([2, 2])]),
    })
    const records = await collect(path)
    expect(records.map((r) => String.fromCharCode(r.type)).join('')).toBe('HCBBEEZ')
    expect(decodeBundleHeader(records[0]!.payload)).toEqual({
      origin: 'pocnet.invalid/n/FR',
      publicKey: new Uint8Array(32).fill(1),
      size: 2,
      exportedAt: 1000,
    })
    expect(decodeBundleBlob(records[3]!.payload)).toEqual({ hash, bytes: new Uint8Array([9]) })
    expect(records[5]!.payload).toEqual(new Uint8Array([2, 2]))
    expect(records[5]!.type).toBe(RECORD.entry)
  })

  it('refuse an entry count that differs from the declared size, leaving no file', async () => {
    const path = join(work.path, 'b.pnlb')
    const contents = {
      origin: 'o',
      publicKey: new Uint8Array(32),
      size: 3,
      exportedAt: 0,
      checkpoints: [],
      blobs: items([]),
      entries: items([new Uint8Array([1])]),
    }
    await expect(writeBundle(path, contents)).rejects.toThrow(BundleFormatError)
    await expect(readFile(path)).rejects.toThrow(/ENOENT/)
  })

  it('reject a record that claims more than the cap before reading it', async () => {
    const path = join(work.path, 'c.pnlb')
    await writeFile(
      path,
      Buffer.concat([Buffer.from('PNLBUNDL'), Buffer.from([0x45, 0xff, 0xff, 0xff, 0xff])]),
    )
    await expect(collect(path)).rejects.toThrow(/over the .* cap/)
  })
})
