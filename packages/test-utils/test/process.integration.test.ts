import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR } from '@pocnet/node'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createFederation,
  type Federation,
  health,
  killNode,
  logTail,
  NodeStartError,
  spawnNode,
  stopNode,
} from '../src/index.ts'

// One real daemon process: the harness's start, stop and kill paths.
describe('daemon processes', () => {
  const made: Federation[] = []
  afterAll(async () => {
    for (const f of made) await f.cleanup()
  })

  it('starts a daemon, talks to it, stops it cleanly and kills it', async () => {
    const fed = await createFederation({ countries: ['AA', 'BB'] })
    made.push(fed)
    const node = fed.node('AA')
    const daemon = await spawnNode(node)
    expect(daemon.ready?.peerId).toBe(node.peerId)
    expect(daemon.ready?.socket).toBe(node.socketPath)
    const h = await health(node)
    expect(h.country).toBe('AA')
    expect(h.peerId).toBe(node.peerId)
    await expect(spawnNode(node)).rejects.toThrow(/already running/)
    expect(await stopNode(node)).toEqual({ code: 0, signal: null })
    expect(node.process).toBeUndefined()
    expect(await stopNode(node)).toBeUndefined()

    await spawnNode(node)
    expect(await killNode(node)).toEqual({ code: null, signal: 'SIGKILL' })
    expect(node.process).toBeUndefined()
    expect(await logTail(node, 1000)).toMatch(/"harness":"sigkill"/)
  })

  it('reports a daemon that exits before serving, with its log', async () => {
    const fed = await createFederation({ countries: ['AA'] })
    made.push(fed)
    const node = fed.node('AA')
    await rm(join(node.dataDir, DATA_DIR.roster))
    const err = await spawnNode(node).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NodeStartError)
    expect((err as Error).message).toMatch(/exited before serving \(code 1/)
    expect((err as Error).message).toMatch(/start-failed/)
    expect(node.process).toBeUndefined()
  })
})
