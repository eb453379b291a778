/**
 * The node's start as its history grows: a daemon process with 0, 10^4, 10^5 (and, in the full
 * run, 10^6) history entries, timed from spawning to serving, and its RSS once settled. Each
 * size is a fresh node whose history is written before its first start, dated a month back,
 * and started twice: first with no snapshot (the start reads it all, as a node's first start of
 * this release, or one after a snapshot was lost), then again (its stop saved the snapshot: the
 * start reads nothing of it). The second is what a node's every start
 * costs; the goal is 1.5x an empty start at 10^6 entries, RSS at most 1.2x idle.
 */
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { createFederation, type FederationNode } from '@pocnet/test-utils'
import type { BenchEntry } from '../harness.ts'
import { appendHistory, historyClock } from '../history.ts'
import { settledRssKiB } from './node.ts'

async function writeHistory(node: FederationNode, count: number): Promise<number> {
  const ledger = await Ledger.open({
    dir: `${node.dataDir}/ledger`,
    identity: node.identity,
    origin: checkpointOrigin(node.network, node.country),
    clock: historyClock(),
  })
  const start = performance.now()
  try {
    await appendHistory(ledger, count)
  } finally {
    await ledger.close()
  }
  return performance.now() - start
}

/** A fresh node with `size` history entries: started with no snapshot (reading it all), then with one. */
async function startsAt(size: number) {
  const fed = await createFederation({ countries: ['IT'] })
  try {
    const node = fed.nodes[0]!
    const writeMs = await writeHistory(node, size)
    const readingAll = await settledRssKiB(node)
    const withSnapshot = await settledRssKiB(node)
    return { writeMs, readingAll, withSnapshot }
  } finally {
    await fed.cleanup()
  }
}

export const entries: BenchEntry[] = [
  {
    name: 'node start with a long history',
    unit: 'ms',
    async run({ quick }) {
      const sizes = quick ? [0, 10_000, 100_000] : [0, 10_000, 100_000, 1_000_000]
      const extra: Record<string, number> = {}
      const results = []
      for (const size of sizes) {
        const r = await startsAt(size)
        results.push(r)
        const at = size === 0 ? '0' : `1e${Math.log10(size)}`
        if (size > 0) extra[`historyWriteSecondsAt${at}`] = Math.round(r.writeMs / 100) / 10
        extra[`startMsReadingAllAt${at}`] = Math.round(r.readingAll.startMs)
        extra[`startMsAt${at}`] = Math.round(r.withSnapshot.startMs)
        extra[`rssMiBAt${at}`] = Math.round(r.withSnapshot.rssKiB / 1024)
      }
      const empty = results[0]!.withSnapshot
      const last = results.at(-1)!.withSnapshot
      extra.rssRatio = last.rssKiB / empty.rssKiB
      return {
        value: last.startMs,
        baseline: empty.startMs,
        baselineName: 'the same node started with an empty ledger',
        note:
          `start from spawning to serving with ${sizes.at(-1)!.toLocaleString('en-US')} history entries ` +
          '(messages sent and receipted, received, case records and alerts, dated before the replay window) ' +
          'and its snapshot; extra: each size started first with no snapshot of its history ' +
          '(startMsReadingAll…, as after a crash) and then with one, the RSS 2 s after, and the time the ' +
          'history took to write; ratio = with history / empty (goal ≤ 1.5; RSS goal rssRatio ≤ 1.2)',
        extra,
      }
    },
  },
]
