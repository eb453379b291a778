import { setTimeout as sleep } from 'node:timers/promises'
import { caseRoutes, FEED_MAX_WAIT_MS, type FeedBatch } from '@pocnet/node/control-client'
import type { Context } from '../../context.ts'
import { CliError } from '../../errors.ts'
import { out } from '../../output.ts'
import { feedLine } from './format.ts'

/** How long the CLI waits for the answer to one poll: the daemon's longest wait, and some. */
const POLL_TIMEOUT_MS = 40_000
/** Between two tries while the daemon does not answer, and how many tries before giving up. */
const RETRY_DELAY_MS = 2_000
const MAX_FAILURES = 30

/** Long-polls `GET /events` and prints each event as it comes; rings the bell on a new request at a terminal. */
export async function watch(ctx: Context, json: boolean): Promise<void> {
  const bell = process.stdout.isTTY === true
  const now = () => ctx.call(caseRoutes.feed, { query: { waitMs: 0 } })
  // The first call only learns where "now" is: what happened before is in the list above.
  let { cursor, epoch } = await now()
  // with --json, one line without a `type` tells a script that events from now on will be seen
  if (json) out.line(JSON.stringify({ watching: true }))
  else out.line(out.style('dim', 'watching for new events (Ctrl-C to stop)…'))
  /**
   * The daemon keeps its event feed in memory, numbered from its start (its epoch). A new epoch
   * means it restarted: every event it has is one this watch has not shown, so read from 0.
   */
  const restartedSince = (latest: number): boolean => {
    if (latest === epoch) return false
    epoch = latest
    cursor = 0
    if (!json) out.line(out.style('yellow', '(the node restarted: showing its events since)'))
    return true
  }
  let failures = 0
  for (;;) {
    let batch: FeedBatch
    try {
      if (failures > 0) {
        restartedSince((await now()).epoch)
        failures = 0
      }
      batch = await ctx.call(
        caseRoutes.feed,
        { query: { after: cursor, waitMs: FEED_MAX_WAIT_MS } },
        POLL_TIMEOUT_MS,
      )
    } catch (e) {
      // a refusal (token, role) will not change by retrying; a daemon restarting will
      if (e instanceof CliError && e.code !== 'ERR_DAEMON_UNREACHABLE') throw e
      failures++
      if (failures > MAX_FAILURES) throw e
      if (!json && failures === 1) out.line(out.style('yellow', `(${(e as Error).message}; retrying)`))
      await sleep(RETRY_DELAY_MS)
      continue
    }
    // a restart between two polls: this batch was cut by a cursor of the old epoch
    if (restartedSince(batch.epoch)) continue
    for (const e of batch.events) {
      out.line(json ? JSON.stringify(e) : feedLine(e, ctx.zone))
      if (bell && e.type === 'new-request') process.stdout.write('\x07')
    }
    cursor = batch.cursor
  }
}
