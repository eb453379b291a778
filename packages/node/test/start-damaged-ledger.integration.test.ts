import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobKey, entryKey, entryValue, splitEntryValue } from '../../ledger/src/layout.ts'
import { openLevel } from '../../ledger/src/store.ts'
import { createLogger, DATA_DIR, PocnetDaemon } from '../src/index.ts'
import {
  PASSPHRASE,
  preservationRequest,
  startPublishedPair,
  type TestFederation,
} from './fixtures/federation.ts'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/** Overwrites the stored (sealed) bytes of a blob in a stopped node's ledger: a damaged disk. */
async function damageBlob(dataDir: string, hash: Uint8Array): Promise<void> {
  const db = openLevel(join(dataDir, DATA_DIR.ledger, 'db'), false)
  await db.open()
  try {
    await db.put(blobKey(hash), new Uint8Array(randomBytes(200)))
  } finally {
    await db.close()
  }
}

/**
 * Overwrites the bytes of entry `seq` (stored on its own, after the last full tile) in a stopped
 * node's ledger, keeping its leaf hash: the ledger opens (it reads only the last entry's bytes),
 * and the first scan that reaches this entry throws.
 */
async function damageEntry(dataDir: string, seq: number): Promise<void> {
  const db = openLevel(join(dataDir, DATA_DIR.ledger, 'db'), false)
  await db.open()
  try {
    const stored = await db.get(entryKey(seq))
    const split = stored === undefined ? undefined : splitEntryValue(stored)
    if (split === undefined) throw new Error(`entry ${seq} is not stored on its own`)
    await db.put(entryKey(seq), entryValue(split.leafHash, new TextEncoder().encode('damaged')))
  } finally {
    await db.close()
  }
}

/** Runs the daemon process until it exits or `ms` pass; its exit code ('running' then) and stderr. */
function runMain(dataDir: string, ms: number): Promise<{ code: number | null | 'running'; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--data-dir', dataDir], {
      env: { ...process.env, POCNET_PASSPHRASE: PASSPHRASE, POCNET_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let timedOut = false
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, ms)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code: timedOut ? 'running' : code, stderr })
    })
  })
}

// A message queued for a counterpart that is down, then a damaged disk under one of its blobs.
describe('a start on a ledger with a damaged blob of a queued message', () => {
  let fed: TestFederation
  let dataDir: string
  let envelopeHash: Uint8Array
  let payloadHash: Uint8Array
  let sentSeq: number
  let copies = 0

  beforeAll(async () => {
    const pair = await startPublishedPair(['IT', 'FR'])
    fed = pair.fed
    await pair.b.stop()
    const { messageId } = await pair.a.cases.openRequest('FR', preservationRequest(), 'user:anna')
    const [sent] = await pair.a.ledger.query({ kind: 'message-sent' })
    expect(sent?.messageId).toBe(messageId)
    ;[envelopeHash, payloadHash] = sent!.blobs as [Uint8Array, Uint8Array]
    sentSeq = sent!.seq
    expect(pair.a.outbox.depth).toBe(1)
    await pair.a.stop()
    dataDir = fed.nodes[0]!.dataDir
  }, 60_000)

  afterAll(async () => {
    await fed?.cleanup()
  })

  async function copyWith(damage: (dir: string) => Promise<void>): Promise<string> {
    const dir = `${dataDir}-damaged-${copies++}`
    await cp(dataDir, dir, { recursive: true, filter: (src) => !src.includes('.tmp-') })
    await damage(dir)
    return dir
  }

  // The ledger cannot drop the entry: refusing to start over it would refuse for ever.
  it('an envelope that no longer opens is logged and left out; the node starts', async () => {
    const dir = await copyWith((d) => damageBlob(d, envelopeHash))
    const lines: string[] = []
    const node = await PocnetDaemon.start({
      dataDir: dir,
      passphrase: PASSPHRASE,
      log: createLogger({ level: 'error', write: (l) => lines.push(l) }),
    })
    try {
      expect(node.outbox.depth).toBe(0)
      const logged = lines.map((l) => JSON.parse(l) as { event: string; problem?: string })
      expect(logged.find((l) => l.event === 'outbox.unreadable-envelope')?.problem).toMatch(/do not open/)
      expect(node.cases.list()).toHaveLength(1)
    } finally {
      await node.stop()
    }
  })

  it('a case payload that no longer opens is logged and left out; the node starts', async () => {
    const dir = await copyWith((d) => damageBlob(d, payloadHash))
    const lines: string[] = []
    const node = await PocnetDaemon.start({
      dataDir: dir,
      passphrase: PASSPHRASE,
      log: createLogger({ level: 'error', write: (l) => lines.push(l) }),
    })
    try {
      const logged = lines.map((l) => JSON.parse(l) as { event: string; seq?: number; problem?: string })
      expect(logged.find((l) => l.event === 'cases.unreadable-payload')).toMatchObject({
        seq: sentSeq,
        problem: expect.stringMatching(/do not open/),
      })
      // the case its request opened cannot be rebuilt without it; the message itself still waits
      expect(node.cases.list()).toHaveLength(0)
      expect(node.outbox.depth).toBe(1)
    } finally {
      await node.stop()
    }
  })

  // A damaged ledger entry makes the outbox's start throw, after libp2p is listening: whatever
  // fails then must still end the process (the entry is the ledger's: `pocnet ledger verify`
  // finds it, a backup restores it).
  it('a start that fails after the network is up closes it all: the process exits 1', async () => {
    const dir = await copyWith((d) => damageEntry(d, sentSeq))
    const { code, stderr } = await runMain(dir, 20_000)
    const events = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; code?: string })
    // the entry's bytes no longer decode: the outbox's scan of sent messages throws
    expect(events.find((e) => e.event === 'node.start-failed')).toMatchObject({
      code: 'ERR_CBOR_TRAILING_BYTES',
    })
    // what the start had started was stopped before the process exited
    expect(events.map((e) => e.event)).toContain('node.stopped')
    expect(code).toBe(1)
    // and the ledger is closed: nothing holds its lock
    const db = openLevel(join(dir, DATA_DIR.ledger, 'db'), false)
    await db.open()
    await db.close()
  }, 60_000)
})
