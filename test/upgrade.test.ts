import { readFile } from 'node:fs/promises'
import {
  createFederation,
  type Federation,
  logTail,
  rewriteLedgerAsFormat1,
  spawnNode,
  stopNode,
  verifyNodeLedger,
  withNodeLedger,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A node whose ledger was written before ledger format 2 (every entry in its own record) starts,
// moves its entries into tiles before it serves, and says so in its log; nothing is lost.
const ENTRIES = 3 * 256 + 17

describe('upgrading a node whose ledger is in format 1', () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({ countries: ['AA'] })
  })
  afterAll(async () => {
    await fed?.cleanup()
  })

  it('moves the entries into tiles at start, keeping every entry, the root and the signed checkpoints', async () => {
    const node = fed.node('AA')
    const before = await withNodeLedger(node, async (ledger) => {
      for (let i = 0; i < ENTRIES; i += 100)
        await ledger.appendBatch(
          Array.from({ length: Math.min(100, ENTRIES - i) }, (_, k) => ({
            kind: 'admin-action' as const,
            actor: 'user:operator',
            detail: { action: 'upgrade-test', n: i + k },
          })),
        )
      await ledger.checkpoint()
      return { size: ledger.size, root: await ledger.root() }
    })
    await rewriteLedgerAsFormat1(node)
    // the verifier reads format 1 as it is
    expect((await verifyNodeLedger(node)).ok).toBe(true)

    await spawnNode(node)
    await stopNode(node)
    const log = await readFile(node.logFile, 'utf8')
    const upgrading = log
      .split('\n')
      .filter((line) => line.includes('"ledger.upgrading"'))
      .map((line) => JSON.parse(line) as { entriesInTiles: number; entriesToTile: number })
    expect(upgrading.length, await logTail(node)).toBeGreaterThanOrEqual(2)
    // the node's own start-up entries come after the upgrade: the tiles hold the 768 written before
    expect(upgrading.at(0)).toMatchObject({ entriesInTiles: 0, entriesToTile: 768 })
    expect(upgrading.at(-1)).toMatchObject({ entriesInTiles: 768, entriesToTile: 768 })

    const report = await verifyNodeLedger(node)
    expect(report.problem).toBeUndefined()
    expect(report.entries).toBeGreaterThanOrEqual(before.size)
    await withNodeLedger(node, async (ledger) => {
      expect(await ledger.root(before.size)).toEqual(before.root)
    })
  })
})
