import { FrameBudget } from '@pocnet/protocol/reqresp'
import { frameBudgetOf, type NodeConfig } from './config.ts'
import { type Logger, LogThrottle } from './log.ts'
import type { MemberReadPause } from './read-pause.ts'

/**
 * The node's budget for bytes held in frames being read (`frameBudget` in config.json), shared by
 * every protocol it serves. Each refusal is counted (`over-budget` in `pocnet status`) and logged
 * as `frames.over-budget`, at most one line per member every 10 s, with the member's count so far.
 * With `readPause`, a member holding too much, or refused over its own share, is no longer read for a while.
 */
export function createFrameBudget(
  config: Pick<NodeConfig, 'frameBudget'>,
  log: Logger,
  countryOf: (peer: string) => string | undefined,
  readPause?: Pick<MemberReadPause, 'taken' | 'overShare' | 'released'>,
): FrameBudget {
  const { totalBytes, perMemberBytes } = frameBudgetOf(config)
  // keyed by peer: only members get a stream (the gater), so the keys are the roster's keys
  const refusals = new LogThrottle()
  const budget: FrameBudget = new FrameBudget({
    totalBytes,
    perPeerBytes: perMemberBytes,
    onRefused: (refusal, protocol) => {
      if (refusal.limit === 'share') readPause?.overShare(refusal.peer)
      const count = refusals.hit(refusal.peer)
      if (count === undefined) return
      log.warn('frames.over-budget', {
        peer: refusal.peer,
        member: countryOf(refusal.peer) ?? null,
        protocol,
        limit: refusal.limit === 'share' ? 'perMemberBytes' : 'totalBytes',
        heldBytes: budget.heldBytes,
        refusedSinceStart: count,
      })
    },
    ...(readPause !== undefined && {
      onTaken: (peer, heldNow) => readPause.taken(peer, heldNow),
      onReleased: (peer, heldNow, read) => readPause.released(peer, heldNow, read),
    }),
  })
  return budget
}
