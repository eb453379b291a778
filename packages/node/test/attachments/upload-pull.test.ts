import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PeerId } from '@libp2p/interface'
import type { RequestStreams } from '@pocnet/protocol/reqresp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_ATTACHMENTS } from '../../src/attachments/config.ts'
import { InOrderHash } from '../../src/attachments/in-order-hash.ts'
import { ChunkUnavailable, checkPresent, pullMissing } from '../../src/attachments/pull.ts'
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

  it('a pull checks every chunk, refuses a bad one, and resumes from the chunks on disk', async () => {
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
    const ctx = {
      store: receiver,
      streams,
      targetOf: async () => ({ peer: {} as PeerId, target: {} as PeerId }),
      signal: new AbortController().signal,
      onBadChunk: (_r: AttachmentRecord, index: number) => bad.push(index),
      onChunk: () => {},
    }
    const key = Buffer.from(t.key, 'hex')
    const present = await receiver.presentChunks(t.id)
    await expect(pullMissing(ctx, record, key, present)).rejects.toThrow(ChunkUnavailable)
    expect(bad).toEqual([2])
    expect(present.has(2)).toBe(false)
    // as after a restart: only what is on disk counts, and only the missing chunks are asked for
    const onDisk = await receiver.presentChunks(t.id)
    expect(onDisk).toEqual(present)
    corruptIndex = -1
    served = 0
    await pullMissing(ctx, record, key, onDisk)
    expect(served).toBe(6 - present.size)
    expect(onDisk.size).toBe(6)
    expect(await new InOrderHash(record, key, receiver, present).digest()).toBe(attachment.sha256)
    // a power loss may leave a renamed chunk empty: the check at start removes it, to fetch again
    await writeFile(receiver.chunkPath(t.id, 4), '')
    const checked = await checkPresent(receiver, record, key)
    expect([...checked].sort()).toEqual([0, 1, 2, 3, 5])
    expect(await receiver.presentChunks(t.id)).toEqual(checked)
  })
})
