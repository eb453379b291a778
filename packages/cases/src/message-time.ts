import { DEFAULT_MAX_FUTURE_SKEW_MS } from '@pocnet/protocol/constants'
import type { Problem } from './problems.ts'

const MINUTE_MS = 60_000

/**
 * Whether the time a case message claims for itself (an event's `at`, a request's `openedAt`,
 * at `path`) lies within the protocol's clock skew of `signedAtMs`, the creation time its
 * envelope is signed with. Both come from the sender's node when it sends the message: a time
 * further off was made elsewhere or later, and would order the case and run its legal clocks
 * (expiry, deadlines) from a moment the signature does not vouch for. Checked when a message is
 * sent or received, never when stored messages are replayed, so a case already held stays
 * readable.
 */
export function messageTimeProblem(path: string, at: string, signedAtMs: number): Problem | undefined {
  const atMs = Date.parse(at)
  if (Number.isNaN(atMs)) return { path, rule: 'format', message: `'${at}' is not a time` }
  const apartMs = Math.abs(atMs - signedAtMs)
  if (apartMs <= DEFAULT_MAX_FUTURE_SKEW_MS) return undefined
  return {
    path,
    rule: 'consistency',
    message:
      `${at} is ${Math.ceil(apartMs / MINUTE_MS)} min ${atMs > signedAtMs ? 'after' : 'before'} the time its envelope ` +
      `is signed with (${new Date(signedAtMs).toISOString()}); the two may differ by at most ` +
      `${DEFAULT_MAX_FUTURE_SKEW_MS / MINUTE_MS} min, the protocol's clock skew`,
  }
}
