import { setTimeout as sleep } from 'node:timers/promises'
import { caseRoutes, type MessageDelivery } from '@pocnet/node/control-client'
import type { Context } from '../../context.ts'
import { formatTime, out } from '../../output.ts'

/**
 * How long `request send` waits for the first delivery attempt before saying the request is queued:
 * a dial to a stopped node fails at once, one to an unreachable address within the read timeout.
 */
export const FIRST_ATTEMPT_WAIT_MS = 12_000
/**
 * Polls of the case while waiting: the first soon (a delivery on a quiet path takes a few ms, and
 * a fixed 250 ms poll doubled the send's time to exit), then doubling up to the last.
 */
const POLL_MS = [5, 10, 20, 40, 80, 160, 250] as const

/** Seconds from now, for a retry a few seconds or minutes away. */
function inSeconds(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((at - now) / 1000))
  return s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`
}

/** What became of one sent message, in a few words: "delivered …", "queued: … next attempt …". */
export function deliveryText(d: MessageDelivery, zone: string): string {
  switch (d.state) {
    case 'delivered':
      return `delivered ${formatTime(d.receivedAt ?? d.queuedAt, zone, { seconds: true })}`
    case 'refused':
      return out.style('red', `refused by the counterpart: ${d.reason}`)
    case 'expired':
      return out.style('red', 'expired undelivered: the outbox gave up')
    case 'unreadable':
      return out.style('red', `not being sent: ${d.lastError}`)
    case 'queued': {
      if (d.attempts === 0 || d.lastError === null)
        return out.style('yellow', 'queued: first attempt under way')
      const next =
        d.nextAttemptAt === null
          ? 'next attempt soon'
          : `next attempt ${formatTime(d.nextAttemptAt, zone, { seconds: true })} (${inSeconds(d.nextAttemptAt)})`
      return out.style(
        'yellow',
        `queued after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}: ${d.lastError}; ${next}`,
      )
    }
  }
}

/** The `outgoing` part of `case show`: each message sent, what became of it, and a queued one's attempts. */
export function deliveryLines(outgoing: readonly MessageDelivery[], zone: string): string[] {
  const lines: string[] = []
  for (const d of outgoing) {
    lines.push(
      `  ${formatTime(d.queuedAt, zone, { seconds: true })}  ${d.kind.padEnd(12)}  ${deliveryText(d, zone)}`,
    )
    if (d.state !== 'queued') continue
    for (const a of d.recentAttempts)
      lines.push(`      attempt failed ${formatTime(a.at, zone, { seconds: true })}  ${a.error}`)
  }
  return lines
}

/**
 * Waits (up to FIRST_ATTEMPT_WAIT_MS) for the first delivery attempt of message `messageId` of a
 * case to end, and returns what became of it; undefined if the case no longer lists it.
 */
export async function firstAttempt(
  ctx: Context,
  caseId: string,
  messageId: string,
): Promise<MessageDelivery | undefined> {
  const deadline = Date.now() + FIRST_ATTEMPT_WAIT_MS
  for (let poll = 0; ; poll++) {
    const { outgoing } = await ctx.call(caseRoutes.detail, { params: { id: caseId } })
    const d = outgoing.find((m) => m.messageId === messageId)
    if (d === undefined || d.state !== 'queued' || d.lastError !== null || Date.now() >= deadline) return d
    await sleep(POLL_MS[Math.min(poll, POLL_MS.length - 1)]!)
  }
}
