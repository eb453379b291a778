import {
  type CounterpartFinding,
  type CounterpartReport,
  counterpartRoutes,
} from '@pocnet/node/control-client'
import type { Context } from '../../context.ts'
import { CliError } from '../../errors.ts'
import { err } from '../../output.ts'
import { NOT_ASKED } from './request-summary.ts'

/** Prints each warning of the counterpart checks on stderr, naming the declaration it rests on. */
export function printWarnings(warnings: readonly CounterpartFinding[] | undefined): void {
  for (const w of warnings ?? []) err.line(`${err.style('yellow', 'warning:')} ${w.message}`)
}

/** The refusal `request send` reports when the counterpart cannot take the request: nothing is sent. */
export function refusalError(to: string, refusals: readonly CounterpartFinding[]): CliError {
  return new CliError('ERR_COUNTERPART_REFUSES', `${to} cannot take this request`, {
    lines: refusals.map((r) => `  ${r.declaration ?? r.rule}: ${r.message}`),
    hint: `see ${to}'s record with \`pocnet directory show ${to}\`; nothing was sent`,
  })
}

/**
 * `request send --check`: the checks against the counterpart's directory record, through the node.
 * Without a running node (or a token) the form alone was checked, and the output says so.
 */
export async function checkCounterpartForm(
  ctx: Context,
  to: string,
  form: unknown,
): Promise<CounterpartReport | undefined> {
  let report: CounterpartReport
  try {
    report = await ctx.call(counterpartRoutes.check, { body: { to, request: form } })
  } catch (e) {
    if (e instanceof CliError && NOT_ASKED.has(e.code)) {
      err.line(
        `note: not checked against ${to}'s directory record (${e.message}); the node checks it when sending`,
      )
      return undefined
    }
    throw e
  }
  if (report.refusals.length > 0) throw refusalError(to, report.refusals)
  return report
}
