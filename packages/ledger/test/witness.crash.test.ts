import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Signer, toHex } from '@pocnet/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RollbackError } from '../src/errors.ts'
import { Witness } from '../src/witness/witness.ts'
import { tempDir } from './fixtures/ledger.ts'
import { MemoryLog } from './fixtures/memory-log.ts'

const SCRIPT = fileURLToPath(new URL('./fixtures/cosign-loop.ts', import.meta.url))
const ORIGIN = 'pocnet.invalid/test-net/FR'
const WITNESS_NAME = 'witness.pocnet.invalid/test-net/IT'
const LOG_SEED = new Uint8Array(32).fill(5)
const WITNESS_SEED = new Uint8Array(32).fill(6)
const KILLS = 8

let work: { path: string; cleanup: () => Promise<void> }
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await work.cleanup()
})

/** Runs the cosigning child until it has cosigned once, then kills it at a random moment; returns the last size it acknowledged. */
async function cosignUntilKilled(dir: string): Promise<number> {
  const child = spawn(process.execPath, [SCRIPT, dir, ORIGIN, WITNESS_NAME], {
    env: {
      ...process.env,
      WITNESS_TEST_LOG_SEED: toHex(LOG_SEED),
      WITNESS_TEST_WITNESS_SEED: toHex(WITNESS_SEED),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let acknowledged = 0
  let buffered = ''
  let stderr = ''
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      if (lines.length > 0) {
        acknowledged = Number(lines.at(-1))
        resolve()
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`cosigner exited (${code ?? signal}) before its kill: ${stderr}`))
    })
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await started
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)))
  child.kill('SIGKILL')
  await exited
  return acknowledged
}

describe('witness crash safety', () => {
  it(`after ${KILLS} SIGKILLs mid-cosigning, never cosigns a tree below one it returned a cosignature for`, async () => {
    const dir = join(work.path, 'witness')
    const log = new MemoryLog(ORIGIN, LOG_SEED)
    const signer = new Signer(WITNESS_SEED)
    let largestCosigned = 0
    for (let round = 0; round < KILLS; round++) {
      largestCosigned = Math.max(largestCosigned, await cosignUntilKilled(dir))

      const witness = await Witness.open({
        dir,
        cosigner: { name: WITNESS_NAME, publicKey: signer.publicKey, signer },
        logs: [{ origin: ORIGIN, publicKeys: [log.signer.publicKey] }],
      })
      const held = witness.held(ORIGIN)?.size ?? 0
      expect(held, `round ${round}`).toBeGreaterThanOrEqual(largestCosigned)
      // any smaller tree of the same log is refused, whatever old size it claims
      log.append(largestCosigned - 1 - log.size)
      const smaller = log.checkpoint().note
      for (const oldSize of [0, largestCosigned - 1, held]) {
        const attempt = witness.addCheckpoint({ oldSize, consistencyProof: [], checkpointNote: smaller })
        await expect(attempt).rejects.toBeInstanceOf(RollbackError)
      }
      await witness.close()
    }
    expect(largestCosigned).toBeGreaterThanOrEqual(KILLS)
  })
})
