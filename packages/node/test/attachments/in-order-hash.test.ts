import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { digestChunk, sealChunk } from '../../src/attachments/chunk-seal.ts'
import { HeldChunk, InOrderHash } from '../../src/attachments/in-order-hash.ts'
import type { ReceivedFile } from '../../src/attachments/received-file.ts'
import { type AttachmentRecord, AttachmentStore } from '../../src/attachments/store.ts'

const CHUNK = 16 * 1024
const COUNT = 6

describe('the whole file hashed as the pull stores it', () => {
  let dir: string
  let store: AttachmentStore
  let file: ReceivedFile
  let record: AttachmentRecord
  let sealed: Buffer[]
  let sha256: string
  const key = randomBytes(32)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-in-order-'))
    store = new AttachmentStore(dir)
    const bytes = randomBytes(COUNT * CHUNK - 100)
    sha256 = createHash('sha256').update(bytes).digest('hex')
    const id = randomBytes(16).toString('hex')
    sealed = Array.from({ length: COUNT }, (_, i) =>
      sealChunk(key, id, i, COUNT, bytes.subarray(i * CHUNK, (i + 1) * CHUNK)),
    )
    record = {
      id,
      direction: 'received',
      name: 'x.bin',
      size: bytes.length,
      sha256,
      chunkSize: CHUNK,
      chunks: [],
      state: 'fetching',
    }
    await store.create(record)
    file = await store.openReceived(record)
  })
  afterEach(async () => {
    await file.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function storeChunk(present: Set<number>, hash: InOrderHash, index: number): Promise<void> {
    await file.write(index, sealed[index]!)
    present.add(index)
    hash.stored(index, sealed[index]!)
  }

  it('gives the SHA-256 of the file whatever order the chunks were stored in', async () => {
    const present = new Set<number>()
    const hash = new InOrderHash(record, key, file, present)
    for (const index of [1, 0, 3, 2, 5, 4]) await storeChunk(present, hash, index)
    expect(await hash.digest()).toBe(sha256)
  })

  it('takes a chunk checked in its turn in the same pass, holds one ahead, drops one that failed', async () => {
    const present = new Set<number>()
    const hash = new InOrderHash(record, key, file, present)
    // as the pull does: a trial fed by the check, adopted only if the chunk proved good
    const check = (index: number, bytes: Buffer) => {
      const fed = hash.trial(index)
      const good = digestChunk(key, record.id, index, COUNT, bytes, fed) !== undefined
      if (good && fed !== undefined) hash.checked(index, fed)
      return { good, fed }
    }
    const garbled = Buffer.from(sealed[0]!)
    garbled[3]! ^= 1
    expect(check(0, garbled)).toMatchObject({ good: false })
    expect(check(1, sealed[1]!).fed).toBeInstanceOf(HeldChunk) // ahead of its turn: held until it comes
    expect(check(0, sealed[0]!)).toMatchObject({ good: true, fed: expect.anything() })
    await storeChunk(present, hash, 0)
    await storeChunk(present, hash, 1)
    for (const index of [2, 3, 4, 5]) {
      expect(check(index, sealed[index]!).fed).toBeDefined()
      await storeChunk(present, hash, index)
    }
    expect(await hash.digest()).toBe(sha256)
  })

  it('holds at most 8 chunks ahead of their turn; the rest are opened again when stored', async () => {
    const many = 12
    const bytes = randomBytes(many * CHUNK)
    const id = randomBytes(16).toString('hex')
    const chunks = Array.from({ length: many }, (_, i) =>
      sealChunk(key, id, i, many, bytes.subarray(i * CHUNK, (i + 1) * CHUNK)),
    )
    const big: AttachmentRecord = { ...record, id, size: bytes.length, chunks: [] }
    await store.create(big)
    const bigFile = await store.openReceived(big)
    try {
      const present = new Set<number>()
      const hash = new InOrderHash(big, key, bigFile, present)
      const held: number[] = []
      for (let index = many - 1; index >= 0; index--) {
        const fed = hash.trial(index)
        expect(digestChunk(key, id, index, many, chunks[index]!, fed)).toBeDefined()
        if (fed instanceof HeldChunk) held.push(index)
        if (fed !== undefined) hash.checked(index, fed)
        await bigFile.write(index, chunks[index]!)
        present.add(index)
        hash.stored(index, chunks[index]!)
      }
      expect(held).toEqual([11, 10, 9, 8, 7, 6, 5, 4])
      expect(await hash.digest()).toBe(createHash('sha256').update(bytes).digest('hex'))
    } finally {
      await bigFile.close()
    }
  })

  it('reads from disk what was stored before this pull, and what it never saw', async () => {
    const present = new Set<number>()
    for (const index of [0, 1])
      await storeChunk(present, new InOrderHash(record, key, file, new Set()), index)
    const hash = new InOrderHash(record, key, file, present)
    await storeChunk(present, hash, 3)
    await storeChunk(present, hash, 2)
    for (const index of [4, 5]) {
      await file.write(index, sealed[index]!)
      present.add(index)
    }
    expect(await hash.digest()).toBe(sha256)
  })

  it('refuses a chunk on disk that does not open', async () => {
    const present = new Set<number>()
    for (let i = 0; i < COUNT; i++) {
      await file.write(i, i === 2 ? Buffer.alloc(CHUNK + 16, 1) : sealed[i]!)
      present.add(i)
    }
    await expect(new InOrderHash(record, key, file, present).digest()).rejects.toThrow(
      'chunk 2 does not open',
    )
  })
})
