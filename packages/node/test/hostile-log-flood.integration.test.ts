import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '@pocnet/crypto'
import {
  createFederation,
  type Federation,
  federationLogs,
  health,
  spawnNode,
  waitFor,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { THROTTLED_LOG_EVERY_MS } from '../src/log.ts'

/**
 * Issue 17, logs: `delivery.stream-error` was written once per aborted stream, 570–1,279 lines a
 * second from one member. Here a member (DE's key, in a process of its own) aborts stream after
 * stream on a victim daemon (FR, in its own process): each is counted, exactly, and each reason is
 * told at most once every 10 s, with the count so far.
 */

const STREAMS = 200
const FLOOD = join(import.meta.dirname, 'fixtures', 'abort-flood.ts')

interface LogLine {
  time: string
  event: string
  reason?: string
  failedSinceStart?: number
}

describe("a member's aborted-stream flood", () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({ countries: ['FR', 'DE'] })
    await spawnNode(fed.node('FR'))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it(`${STREAMS} aborted streams: each counted, each reason logged at most once every 10 s`, async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const victim = fed.node('FR')
    const before = (await health(victim)).rejected
    const child = spawn(process.execPath, [FLOOD, victim.multiaddr, String(STREAMS)], {
      env: { ...process.env, ABORT_FLOOD_SEED: toHex(fed.node('DE').identity.secrets.signingSeed) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk) => {
      stdout += String(chunk)
    })
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk)
    })
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(stdout)).toEqual({ aborted: STREAMS })

    // the victim sees each abort once its handler reads on: wait for the last
    await waitFor(
      async () => ((await health(victim)).rejected.stream ?? 0) - (before.stream ?? 0) >= STREAMS,
      {
        timeoutMs: 30_000,
        description: 'the victim to count every aborted stream',
      },
    )
    const after = await health(victim)
    expect((after.rejected.stream ?? 0) - (before.stream ?? 0), 'every aborted stream counted').toBe(STREAMS)

    const logged = (await readFile(victim.logFile, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('{"time"'))
      .map((l) => JSON.parse(l) as LogLine)
    const streamErrors = logged.filter((l) => l.event === 'delivery.stream-error')
    for (const [key, lines] of Map.groupBy(streamErrors, (l) => l.reason!)) {
      const times = lines.map((l) => Date.parse(l.time))
      for (let i = 1; i < times.length; i++)
        expect(
          times[i]! - times[i - 1]!,
          `${key}: lines ${THROTTLED_LOG_EVERY_MS} ms apart`,
        ).toBeGreaterThanOrEqual(THROTTLED_LOG_EVERY_MS - 10)
      expect(lines[0]!.failedSinceStart, `${key}: the first told at once`).toBe(1)
      expect(lines.at(-1)!.failedSinceStart).toBeLessThanOrEqual(after.rejected.stream!)
    }
    expect(streamErrors.length, 'the failures told').toBeGreaterThan(0)
  })
})
