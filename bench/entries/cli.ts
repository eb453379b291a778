/**
 * The CLI as a contact point runs it: `pocnet request send` as a whole process, from its start
 * to its exit, against a running federation (issue 20: goal ≤ 250 ms). The baseline is the
 * bare start and exit of Node itself (`node -e ''`), run in turn with it, so the ratio says how
 * much of the send is the CLI's own start rather than Node's.
 */

import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { userRoutes } from '@pocnet/node/client'
import { createFederation, runCli, spawnNode } from '@pocnet/test-utils'
import { preservationRequest } from '../../packages/node/test/fixtures/federation.ts'
import { type BenchEntry, median, spreadOf } from '../harness.ts'

/** Milliseconds from spawning `node -e ''` to its exit. */
function bareNodeStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    child.once('error', reject)
    child.once('close', () => resolve(performance.now() - t0))
  })
}

export const entries: BenchEntry[] = [
  {
    name: 'cli request send, process start to exit',
    unit: 'ms',
    async run({ quick }) {
      const fed = await createFederation({ countries: ['IT', 'FR'] })
      try {
        const [it, fr] = [fed.node('IT'), fed.node('FR')]
        await Promise.all([spawnNode(it), spawnNode(fr)])
        const { token } = await it.client.call(userRoutes.add, { body: { name: 'bench', role: 'contact' } })
        const form = join(fed.baseDir, 'request.yaml')
        // JSON is YAML
        await writeFile(form, JSON.stringify(preservationRequest()))
        const runs = quick ? 3 : 15
        const sends: number[] = []
        const bare: number[] = []
        // the first run of each fills the CLI's compile cache and warms the daemon: not counted
        for (let i = -1; i < runs; i++) {
          // a key of its own each time: every run opens a new case, none is answered as a repeat
          const args = [
            'request',
            'send',
            '--to',
            'FR',
            '--file',
            form,
            '--idempotency-key',
            `bench-send-${i + 1}`,
          ]
          const t0 = performance.now()
          const r = await runCli(it, args, token)
          const ms = performance.now() - t0
          if (r.code !== 0) throw new Error(`pocnet request send exited with ${r.code}: ${r.stderr.trim()}`)
          const bareMs = await bareNodeStart()
          if (i < 0) continue
          sends.push(ms)
          bare.push(bareMs)
        }
        return {
          value: median(sends),
          baseline: median(bare),
          baselineName: "node -e '' (Node's own start and exit)",
          spread: spreadOf(sends),
          note: 'target ≤ 250 ms; the CLI loads neither libp2p nor @pocnet/crypto for a send',
        }
      } finally {
        await fed.cleanup()
      }
    },
  },
]
