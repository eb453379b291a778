import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PeerId } from '@libp2p/interface'
import type { RequestStreams } from '@pocnet/protocol/reqresp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_ATTACHMENTS } from '../../src/attachments/config.ts'
import { InOrderHash } from '../../src/attachments/in-order-hash.ts'
import { ChunkUnavailable, checkPresent, pullMissing } from '../../src/attachments/pull.ts'
import { sealedLength } from '../../src/attachments/received-file.ts'
import { type AttachmentRecord, AttachmentStore } from '../../src/attachments/store.ts'
import { Uploads } from '../../src/attachments/upload.ts'
import { decodeChunkRequest, encodeChunkResponse } from '../../src/attachments/wire.ts'

const CHUNK = 16 * 1024
const config = { ...DEFAULT_ATTACHMENTS, chunkBytes: CHUNK, maxFileBytes: 200_000 }

describe('uploads and pulls', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-attach-unit-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Uploads `bytes` chunk by chunk; the attachment a message would carry, and the sender's store. */
  async function upload(bytes: Buffer) {
    const store = new AttachmentStore(join(dir, 'sender'))
    const uploads = new Uploads(store, config, () => {})
    const started = await uploads.begin({ name: 'log.txt', size: bytes.length })
    for (let i = 0; i < started.chunks; i++)
      await uploads.put(started.id, i, bytes.subarray(i * CHUNK, (i + 1) * CHUNK))
    return { store, attachment: await uploads.finish(started.id) }
  }

  it('an upload names the file by its SHA-256 and each chunk by its own', async () => {
    const bytes = randomBytes(3 * CHUNK + 100)
    const { attachment } = await upload(bytes)
    expect(attachment.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(attachment.transfer!.chunks).toHaveLength(4)
    expect(attachment.transfer!.chunks[3]).toBe(
      createHash('sha256')
        .update(bytes.subarray(3 * CHUNK))
        .digest('hex'),
    )
  })

  it('refuses a file over the cap, chunks out of order or of the wrong size', async () => {
    const uploads = new Uploads(new AttachmentStore(join(dir, 's')), config, () => {})
    await expect(uploads.begin({ name: 'big.bin', size: 200_001 })).rejects.toThrow(
      'big.bin is 200001 bytes, over the cap of 200000 bytes per file (config attachments.maxFileBytes)',
    )
    const { id } = await uploads.begin({ name: 'a.bin', size: 2 * CHUNK })
    await expect(uploads.put(id, 1, Buffer.alloc(CHUNK))).rejects.toThrow('chunk 0 of 2 comes next')
    await expect(uploads.put(id, 0, Buffer.alloc(10))).rejects.toThrow(/is 10 bytes/)
    await expect(uploads.finish(id)).rejects.toThrow('holds 0 of 2 chunks')
  })

  it('a pull checks every chunk, refuses a bad one, and resumes from the chunks in its file', async () => {
    const bytes = randomBytes(5 * CHUNK + 7)
    const { store: sender, attachment } = await upload(bytes)
    const t = attachment.transfer!
    const receiver = new AttachmentStore(join(dir, 'receiver'))
    const record: AttachmentRecord = {
      id: t.id,
      direction: 'received',
      name: attachment.name,
      size: attachment.size,
      sha256: attachment.sha256,
      chunkSize: t.chunkSize,
      chunks: [...t.chunks],
      state: 'fetching',
      caseId: 'HU-20261206-00000000',
      counterpart: 'FR',
    }
    await receiver.create(record)
    let served = 0
    let corruptIndex = 2
    const streams = {
      request: async (_peer: PeerId, _target: unknown, frame: Uint8Array) => {
        const r = decodeChunkRequest(frame)
        if (!('index' in r)) return encodeChunkResponse({ ok: true })
        served++
        const chunk = Buffer.from(await sender.readChunk(r.id, r.index))
        if (r.index === corruptIndex) chunk[0]! ^= 1
        return encodeChunkResponse({ chunk })
      },
    } as unknown as RequestStreams
    const bad: number[] = []
    const key = Buffer.from(t.key, 'hex')
    let file = await receiver.openReceived(record)
    const ctx = {
      file,
      streams,
      targetOf: async () => ({ peer: {} as PeerId, target: {} as PeerId }),
      signal: new AbortController().signal,
      onBadChunk: (_r: AttachmentRecord, index: number) => bad.push(index),
      whole: new InOrderHash(record, Buffer.from(t.key, 'hex'), file, new Set<number>()),
    }
    const present = await checkPresent(file, record, key)
    expect(present.size).toBe(0)
    await expect(pullMissing(ctx, record, key, present)).rejects.toThrow(ChunkUnavailable)
    expect(bad).toEqual([2])
    expect(present.has(2)).toBe(false)
    // as after a restart: only what lies checked in the file counts, and only the missing chunks are asked for
    await file.close()
    file = await receiver.openReceived(record)
    const onDisk = await checkPresent(file, record, key)
    expect(onDisk).toEqual(present)
    corruptIndex = -1
    served = 0
    const whole = new InOrderHash(record, key, file, onDisk)
    await pullMissing({ ...ctx, file, whole }, record, key, onDisk)
    expect(served).toBe(6 - present.size)
    expect(onDisk.size).toBe(6)
    expect(await whole.digest()).toBe(attachment.sha256)
    expect(await new InOrderHash(record, key, file, onDisk).digest()).toBe(attachment.sha256)
    // a power loss may leave a chunk unwritten or garbled: the check at start finds it, to fetch again
    await file.write(4, Buffer.alloc(sealedLength(record, 4)))
    const garbled = await file.read(1)
    garbled[10]! ^= 1
    await file.write(1, garbled)
    expect([...(await checkPresent(file, record, key))].sort()).toEqual([0, 2, 3, 5])
    await file.close()
  })

  it('a received file holds each chunk at its place, zeros where none was written, across reopening', async () => {
    const store = new AttachmentStore(join(dir, 'receiver'))
    const record: AttachmentRecord = {
      id: 'ab'.repeat(16),
      direction: 'received',
      name: 'x.bin',
      size: 2 * CHUNK + 5,
      sha256: '',
      chunkSize: CHUNK,
      chunks: [],
      state: 'fetching',
    }
    await store.create(record)
    const last = randomBytes(sealedLength(record, 2))
    expect(last.length).toBe(5 + 16)
    const first = await store.openReceived(record)
    await first.write(2, last)
    await first.close()
    const again = await store.openReceived(record)
    expect(await again.read(2)).toEqual(last)
    expect((await again.read(0)).every((b) => b === 0)).toBe(true)
    await again.close()
    expect((await stat(store.receivedPath(record.id))).size).toBe(2 * (CHUNK + 16) + 5 + 16)
    expect(await store.readReceivedChunk(record, 2)).toEqual(last)
  })

  it('reads a received attachment completed as one file per chunk, as nodes stored them before', async () => {
    const store = new AttachmentStore(join(dir, 'receiver'))
    const record: AttachmentRecord = {
      id: 'cd'.repeat(16),
      direction: 'received',
      name: 'x.bin',
      size: 10,
      sha256: '',
      chunkSize: CHUNK,
      chunks: [],
      state: 'complete',
    }
    await store.create(record)
    const sealed = randomBytes(10 + 16)
    await writeFile(store.chunkPath(record.id, 0), sealed)
    expect(await store.readReceivedChunk(record, 0)).toEqual(sealed)
  })
})
