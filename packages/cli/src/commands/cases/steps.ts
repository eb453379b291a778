import type { CaseEventKind } from '@pocnet/cases'
import {
  type CaseStep,
  caseRoutes,
  type IllegalStepDetails,
  type StepSent,
} from '@pocnet/node/control-client'
import type { Context } from '../../context.ts'
import { CliError } from '../../errors.ts'
import { out } from '../../output.ts'
import { deliveryText, firstAttempt } from './delivery.ts'
import { withFlagNames } from './step-flags.ts'

/** The `pocnet case` command that sends each event kind (docs/cases.md §5.1). */
export const COMMAND_OF_EVENT: Partial<Record<CaseEventKind, string>> = {
  acknowledged: 'ack',
  'in-progress': 'progress',
  'information-requested': 'ask',
  'information-provided': 'inform',
  'limitation-notified': 'limit',
  'proceed-confirmed': 'proceed',
  preserved: 'preserve',
  'partially-disclosed': 'disclose',
  answered: 'reply',
  refused: 'refuse',
  'extension-requested': 'extend',
  'extension-granted': 'extend --grant',
  'extension-refused': 'extend --refuse',
  'mla-submitted': 'mla',
  'mla-received': 'mla-received',
  'mla-decided': 'mla-decided',
  'not-executed': 'not-executed',
  released: 'release',
  'conditions-stated': 'conditions',
  'conditions-accepted': 'accept-conditions',
  'conditions-declined': 'decline-conditions',
  withdrawn: 'withdraw',
  closed: 'close',
}

/** Sends this side's next step on a case and prints the case's new status. */
export async function postEvent(
  ctx: Context,
  caseId: string,
  event: CaseStep,
  json: boolean | undefined,
): Promise<void> {
  let r: StepSent
  try {
    r = await ctx.call(caseRoutes.step, { params: { id: caseId }, body: event })
  } catch (e) {
    if (!(e instanceof CliError)) throw e
    if (e.code === 'ERR_ILLEGAL_TRANSITION') throw withNextCommands(e, caseId)
    throw e.code === 'ERR_INVALID_EVENT' ? withFlagNames(e, String(event.kind)) : e
  }
  // the step is recorded; whether it reached the counterpart is the first attempt's to say
  const delivery = await firstAttempt(ctx, caseId, r.messageId)
  if (json) return out.json({ ...r, delivery: delivery ?? null })
  const reached = delivery === undefined || delivery.state === 'delivered'
  out.line(
    `${reached ? out.style('green', '✓') : out.style('yellow', '…')} ${String(event.kind)} sent on case ${caseId}: status now ${r.status} (message ${r.messageId})`,
  )
  if (!reached)
    out.line(
      `  not delivered${delivery.state === 'queued' ? ' yet' : ''}: ${deliveryText(delivery, ctx.zone)}`,
    )
}

/** An illegal step's error, its hint giving the commands this side can run instead. */
function withNextCommands(e: CliError, caseId: string): CliError {
  const details = e.details as Partial<IllegalStepDetails> | undefined
  if (details?.side === undefined || details.allowed === undefined) return e
  const commands = details.allowed
    .filter((m) => m.side === details.side)
    .flatMap((m) => {
      const command = COMMAND_OF_EVENT[m.kind]
      // 'delivered' is the node's own answer, never typed
      return command === undefined ? [] : [`pocnet case ${command} ${caseId}`]
    })
  return new CliError(e.code, e.message, {
    lines: [...e.lines],
    details: e.details,
    exitCode: e.exitCode,
    hint:
      commands.length === 0
        ? `nothing the ${details.side} side can do on this case now`
        : `the ${details.side} side can now run: ${commands.join('; ')}`,
  })
}
