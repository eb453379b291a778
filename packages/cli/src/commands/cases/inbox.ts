import { isFinished } from '@pocnet/cases'
import { caseRoutes } from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { Context } from '../../context.ts'
import { examples, jsonOption } from '../../help.ts'
import { out } from '../../output.ts'
import { damagedTable } from './damaged.ts'
import { casesTable } from './format.ts'
import { watch } from './watch.ts'

/** `pocnet inbox`: the open cases, then (--watch) each new event as it happens. */
export function registerInbox(program: Command): void {
  examples(
    program
      .command('inbox')
      .description('open cases with their deadlines (in your time zone); --watch follows new events live')
      .addOption(jsonOption())
      .option('--watch', 'after the list, print each new event as it happens (rings on a new request)')
      .option('--all', 'include finished cases')
      .action(async (flags: { json?: boolean; watch?: boolean; all?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { cases, damaged } = await ctx.call(caseRoutes.list)
        const shown = flags.all ? cases : cases.filter((c) => !isFinished(c))
        if (flags.json && !flags.watch) return out.json({ cases: shown, damaged })
        if (!flags.json) {
          out.line(shown.length === 0 ? 'no open cases' : casesTable(shown))
          // whatever their status: what cannot be read cannot be known finished
          if (damaged.length > 0) out.line(damagedTable(damaged))
        }
        if (flags.watch) await watch(ctx, flags.json === true)
      }),
    'pocnet inbox',
    'pocnet inbox --json | jq \'.cases[] | select(.side == "requested" and .status == "delivered")\'',
    'pocnet inbox --watch',
  )
}
