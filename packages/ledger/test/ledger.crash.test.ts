import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Signer, toHex } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyCosignatures } from '../src/cosignature.ts'
import { TILE_WIDTH } from '../src/layout.ts'
import { ledgerInUse } from '../src/ledger-in-use.ts'
import { verifyLedger } from '../src/verify.ts'
import { NodeIdentity, ORIGIN, openTestLedger, tempDir } from './fixtures/ledger.ts'

const SCRIPT = fileURLToPath(new URL('./fixtures/append-loop.ts', import.meta.url))
const COSIGNATURE_SCRIPT = fileURLToPath(new URL('./fixtures/cosignature-store-loop.ts', import.meta.url))
const KILLS = 12

let work: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

/**
 * Starts a child that writes to the ledger until killed (`script`, by default the appender);
 * resolves `started` once it has acknowledged a write. It prints a line per committed write:
 * `acknowledged` is that line's first number (the size), `lastLine` the whole line.
 */
function startAppender(dir: string, identity: NodeIdentity, script = SCRIPT) {
  const child: ChildProcess = spawn(process.execPath, [script, dir, ORIGIN], {
    env: {
      ...process.env,
      LEDGER_TEST_SEED: toHex(identity.secrets.signingSeed),
      LEDGER_TEST_BOX: toHex(identity.secrets.boxSecretKey),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let lastLine = '0'
  let stderr = ''
  let buffered = ''
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      if (lines.length > 0) {
        lastLine = lines.at(-1)!
        resolve()
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`appender exited (${code ?? signal}) before its kill: ${stderr}`))
    })
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return {
    child,
    started,
    exited,
    acknowledged: () => Number(lastLine.split(' ')[0]),
    lastLine: () => lastLine,
  }
}

/** Runs `use` while a child process appends to the ledger in `dir`, then kills the child. */
async function whileAppending(
  dir: string,
  identity: NodeIdentity,
  use: (appender: ReturnType<typeof startAppender>) => Promise<void>,
): Promise<void> {
  const appender = startAppender(dir, identity)
  await appender.started
  try {
    await use(appender)
  } finally {
    appender.child.kill('SIGKILL')
    await appender.exited
  }
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs at random moments with no gap, loss or half-written entry`, async () => {
    const dir = join(work.path, 'ledger')
    const identity = NodeIdentity.generate()
    let previousSize = 0
    for (let round = 0; round < KILLS; round++) {
      const appender = startAppender(dir, identity)
      await appender.started
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)))
      appender.child.kill('SIGKILL')
      await appender.exited
      const acknowledged = appender.acknowledged()

      // killed, the node signed no checkpoint of its last entries: the tail is accepted, not vouched for
      const report = await verifyLedger(dir, { identity, allowUnsignedTail: true })
      expect(report.problem, `round ${round}`).toBeUndefined()
      expect(report.ok).toBe(true)
      // everything the child reported as committed is there, and nothing went backwards
      expect(report.entries).toBeGreaterThanOrEqual(acknowledged)
      expect(report.entries).toBeGreaterThan(previousSize)
      previousSize = report.entries

      const ledger = await openTestLedger(dir, identity)
      expect(ledger.size).toBe(report.entries)
      expect(await ledger.root()).toEqual(report.root)
      await ledger.close()
    }
    // the kills fell on appends that filled tiles (one batch writes the tile and drops its entries)
    expect(previousSize).toBeGreaterThan(2 * TILE_WIDTH)
  })
})

describe('stored cosignatures', () => {
  it('survive SIGKILLs: every line acknowledged is on its checkpoint, and the file follows', async () => {
    const dir = join(work.path, 'cosigned')
    const identity = NodeIdentity.generate()
    const witnesses = [1, 2, 3].map((n) => ({
      name: `pocnet.invalid/test-net/W${n}`,
      publicKey: new Signer(new Uint8Array(32).fill(40 + n)).publicKey,
    }))
    for (let round = 0; round < 4; round++) {
      const writer = startAppender(dir, identity, COSIGNATURE_SCRIPT)
      await writer.started
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)))
      writer.child.kill('SIGKILL')
      await writer.exited
      const [size, stored] = writer.lastLine().split(' ').map(Number) as [number, number]

      const ledger = await openTestLedger(dir, identity)
      const checkpoint = (await ledger.checkpoints()).find((c) => c.size === size)!
      expect(verifyCosignatures(checkpoint.note, witnesses).length, `round ${round}`).toBeGreaterThanOrEqual(
        stored,
      )
      // the file is the latest note, cosignatures and all, even if the kill fell between the two writes
      const latest = ledger.latestCheckpoint()!
      expect(await readFile(join(dir, 'checkpoint'), 'utf8')).toBe(latest.note)
      await ledger.close()
      const report = await verifyLedger(dir, { identity })
      expect(report.problem, `round ${round}`).toBeUndefined()
    }
  })
})

describe('verifying a ledger while its node writes', () => {
  it('verifies a point-in-time copy each time, and leaves the live database undamaged', async () => {
    const dir = join(work.path, 'live')
    const identity = NodeIdentity.generate()
    await whileAppending(dir, identity, async (appender) => {
      // enough rounds that LevelDB flushes and compacts under the copies
      let checked = 0
      for (let round = 0; round < 12; round++) {
        const floor = appender.acknowledged()
        // a running node's newest entries wait for its next checkpoint: accepted, not vouched for
        const report = await verifyLedger(dir, {
          threads: round % 2 === 0 ? 0 : 2,
          parallelFrom: 1,
          allowUnsignedTail: true,
        })
        expect(report.problem, `round ${round}`).toBeUndefined()
        expect(report.ok).toBe(true)
        // the copy is taken after `floor` entries were committed, and never runs backwards
        expect(report.entries).toBeGreaterThanOrEqual(Math.max(floor, checked))
        checked = report.entries
        // the appender is still alive: the copy and its opening never touched the node's files
        expect(appender.child.exitCode).toBeNull()
        expect(appender.child.signalCode).toBeNull()
      }
      expect(appender.acknowledged()).toBeGreaterThan(checked / 2)
    })
    const ledger = await openTestLedger(dir, identity)
    // the killed writer signed no checkpoint of its last entries
    const report = await verifyLedger(dir, { identity, allowUnsignedTail: true })
    expect(report.problem).toBeUndefined()
    expect(report.entries).toBe(ledger.size)
    await ledger.close()
  })
})

describe('telling whether another process holds the ledger', () => {
  it('is true while a process has it open, false once it is gone', async () => {
    const dir = join(work.path, 'held')
    await whileAppending(dir, NodeIdentity.generate(), async () => {
      expect(await ledgerInUse(dir)).toBe(true)
    })
    expect(await ledgerInUse(dir)).toBe(false)
  })
})
