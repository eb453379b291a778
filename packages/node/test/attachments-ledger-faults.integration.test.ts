import { randomBytes } from 'node:crypto'
import type { LedgerEvent } from '@pocnet/ledger'
import { RequestStreams } from '@pocnet/protocol/reqresp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { decodeChunkResponse, encodeChunkRequest, MAX_CHUNK_RESPONSE_BYTES } from '../src/attachments/wire.ts'
import { ATTACHMENT_PROTOCOL } from '../src/constants.ts'
import type { PocnetDaemon } from '../src/index.ts'
import {
  createTestFederation,
  preservationRequest,
  startCollectingWarnings,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

const SIZE = 300_000

// The receiver sets quota aside for a message's attachments when it checks the message, before the
// ledger records it: a ledger that fails then must not keep that quota; one that fails when the
// file is recorded must not leave it half-recorded.
describe("an attachment's quota, record and refusals when things go wrong", () => {
  let fed: TestFederation
  let hu: PocnetDaemon
  let at: PocnetDaemon
  const logs: Array<Record<string, unknown>> = []

  beforeAll(async () => {
    fed = await createTestFederation(['HU', 'AT'])
    hu = await startCollectingWarnings(fed, 0, logs)
    at = await startCollectingWarnings(fed, 1, logs)
    await until(() => hu.health().peersConnected > 0, 'HU to connect to AT')
    await Promise.all([hu.publishOwnRecord(), at.publishOwnRecord()])
    failAppends()
  })

  afterAll(async () => {
    vi.restoreAllMocks()
    await Promise.all([hu?.stop(), at?.stop()])
    await fed?.cleanup()
  })

  /** Kinds of entries AT's ledger refuses, as a full disk would, and how often it did. */
  const failing = new Set<LedgerEvent['kind']>()
  const failures = new Map<LedgerEvent['kind'], number>()
  function failAppends(): void {
    const append = at.ledger.append.bind(at.ledger)
    vi.spyOn(at.ledger, 'append').mockImplementation(async (event, options) => {
      if (!failing.has(event.kind)) return append(event, options)
      failures.set(event.kind, (failures.get(event.kind) ?? 0) + 1)
      throw new Error(`injected: no space left to append ${event.kind}`)
    })
  }
  const failed = (kind: LedgerEvent['kind']) => failures.get(kind) ?? 0

  /** `bytes` uploaded to HU, as a message would carry them. */
  async function upload(bytes: Buffer) {
    const { uploads } = hu.attachments
    const started = await uploads.begin({ name: 'log.txt', size: bytes.length })
    for (let i = 0; i < started.chunks; i++)
      await uploads.put(started.id, i, bytes.subarray(i * started.chunkSize, (i + 1) * started.chunkSize))
    return uploads.finish(started.id)
  }

  it('gives the quota back when the admission record fails, and records the file once the ledger heals', async () => {
    const attachment = await upload(randomBytes(SIZE))
    failing.add('message-received')
    const { caseId } = await hu.cases.openRequest(
      'AT',
      { ...preservationRequest(), attachments: [attachment] },
      'user:anna',
    )
    await until(() => failed('message-received') >= 1, 'AT to fail to record the message')
    expect(at.attachments.usedBytes()).toBe(0)

    // the file's own record fails too, at first: the pull retries it, the quota counts it once
    failing.add('attachment-stored')
    failing.delete('message-received')
    await until(() => failed('attachment-stored') >= 2, 'AT to fail to record the file twice')
    expect(at.attachments.usedBytes()).toBe(SIZE)
    failing.delete('attachment-stored')
    await until(
      async () => (await at.ledger.query({ kind: 'attachment-stored', caseId })).length === 1,
      'AT to record the file',
    )
    await until(
      async () => (await hu.ledger.query({ kind: 'attachment-delivered', caseId })).length === 1,
      'HU to record the delivery',
    )
    expect(at.attachments.usedBytes()).toBe(SIZE)
    expect(await at.ledger.query({ kind: 'message-received', caseId })).toHaveLength(1)
    expect(logs.filter((l) => l.level === 'error').map((l) => l.event)).not.toContain('attachments.failed')
  })

  it('fetches the attachments of a request whose opening the receiver failed to record', async () => {
    const attachment = await upload(randomBytes(SIZE))
    const usedBefore = at.attachments.usedBytes()
    failing.add('case-state-changed')
    try {
      const { caseId } = await hu.cases.openRequest(
        'AT',
        { ...preservationRequest(), attachments: [attachment] },
        'user:anna',
      )
      await until(
        async () => (await at.ledger.query({ kind: 'attachment-stored', caseId })).length === 1,
        'AT to fetch and record the file',
      )
      expect(failed('case-state-changed')).toBeGreaterThan(0)
      expect(at.attachments.usedBytes()).toBe(usedBefore + SIZE)
    } finally {
      failing.delete('case-state-changed')
    }
  })

  it("counts a chunk asked of an attachment never offered to the asker in the node's health", async () => {
    const streams = new RequestStreams(hu.host, ATTACHMENT_PROTOCOL, {
      maxResponseBytes: MAX_CHUNK_RESPONSE_BYTES,
      timeoutMs: 10_000,
    })
    try {
      const before = at.health().rejected['attachment-unknown-attachment'] ?? 0
      const answer = await streams.request(
        at.identity.peerId,
        at.identity.peerId,
        encodeChunkRequest({ id: 'ab'.repeat(16), index: 0 }),
      )
      expect(decodeChunkResponse(answer)).toEqual({ error: 'unknown' })
      expect(at.health().rejected['attachment-unknown-attachment']).toBe(before + 1)
      expect(logs.filter((l) => l.event === 'attachments.refused')).toMatchObject([
        { level: 'warn', reason: 'unknown attachment' },
      ])
    } finally {
      await streams.close()
    }
  })
})
