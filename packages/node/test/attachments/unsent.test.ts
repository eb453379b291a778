import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_ATTACHMENTS } from '../../src/attachments/config.ts'
import { type AttachmentRecord, AttachmentStore } from '../../src/attachments/store.ts'
import { UnsentUploads } from '../../src/attachments/unsent.ts'
import { Uploads } from '../../src/attachments/upload.ts'
import { createLogger } from '../../src/index.ts'

const CHUNK = 16 * 1024
const HOUR = 60 * 60 * 1000
const config = { ...DEFAULT_ATTACHMENTS, chunkBytes: CHUNK, unsentUploadTtlMs: 24 * HOUR }

describe('unsent uploads', () => {
  let dir: string
  let store: AttachmentStore
  let records: Map<string, AttachmentRecord>
  let clock: number
  let uploads: Uploads
  let unsent: UnsentUploads
  const logged: string[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-unsent-'))
    store = new AttachmentStore(join(dir, 'attachments'))
    await store.load()
    records = new Map()
    clock = Date.parse('2026-12-06T10:00:00Z')
    const now = () => clock
    uploads = new Uploads(store, config, (r) => records.set(r.id, r), now)
    unsent = new UnsentUploads({
      records,
      store,
      ttlMs: config.unsentUploadTtlMs,
      now,
      log: createLogger({ level: 'info', write: (line) => logged.push(line) }),
    })
  })
  afterEach(async () => {
    await unsent.stop()
    await rm(dir, { recursive: true, force: true })
  })

  async function upload(name: string) {
    const started = await uploads.begin({ name, size: CHUNK + 1 })
    const bytes = randomBytes(CHUNK + 1)
    await uploads.put(started.id, 0, bytes.subarray(0, CHUNK))
    await uploads.put(started.id, 1, bytes.subarray(CHUNK))
    return uploads.finish(started.id)
  }

  it('removes an upload never put in a message once past the TTL, at start and at each sweep', async () => {
    await upload('old.bin')
    clock += 20 * HOUR
    const fresh = await upload('fresh.bin')
    const sent = await upload('sent.bin')
    records.get(sent.transfer!.id)!.state = 'offered'
    clock += 4 * HOUR + 1
    await unsent.start()
    expect([...records.keys()].sort()).toEqual([fresh.transfer!.id, sent.transfer!.id].sort())
    expect((await readdir(store.root)).sort()).toEqual([fresh.transfer!.id, sent.transfer!.id].sort())
    expect(logged.join('\n')).toContain('attachments.unsent-removed')
    clock += 20 * HOUR
    expect(await unsent.sweep()).toEqual([fresh.transfer!.id])
    // in a message: never the sweep's, however old
    expect([...records.keys()]).toEqual([sent.transfer!.id])
  })

  it('counts an upload recorded without its time from the first sweep that sees it', async () => {
    const a = await upload('before.bin')
    const record = records.get(a.transfer!.id)!
    delete record.uploadedAt
    await store.save(record)
    clock += 30 * HOUR
    expect(await unsent.sweep()).toEqual([])
    expect(record.uploadedAt).toBe(new Date(clock).toISOString())
    clock += 24 * HOUR
    expect(await unsent.sweep()).toEqual([a.transfer!.id])
  })

  it('discards at once the uploads a refused message names, never one already in a message', async () => {
    const refused = await upload('refused.bin')
    const sent = await upload('sent.bin')
    records.get(sent.transfer!.id)!.state = 'offered'
    await unsent.discardNamedIn({ attachments: [refused, sent, { name: 'by-hash-only' }, 'junk'] })
    await unsent.discardNamedIn(undefined)
    await unsent.discardNamedIn({ attachments: 'junk' })
    expect([...records.keys()]).toEqual([sent.transfer!.id])
    expect(await readdir(store.root)).toEqual([sent.transfer!.id])
  })
})
