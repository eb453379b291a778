import { witnessRoutes } from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { Context } from '../context.ts'
import { examples, jsonOption } from '../help.ts'
import { formatTime, out } from '../output.ts'
import { countryArg } from './ledger.ts'

export function registerWitness(program: Command): void {
  const witness = program.command('witness').description("what this node's witness found (auditor)")
  examples(
    witness,
    'pocnet witness evidence',
    'pocnet witness evidence --country FR --json > fr-evidence.json',
  )

  examples(
    witness
      .command('evidence')
      .description(
        'equivocation evidence this node recorded: for `ledger verify --evidence` of the accused log',
      )
      .option('--country <CC>', 'evidence against one member only', countryArg)
      .addOption(jsonOption())
      .action(async (flags: { country?: string; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { evidence } = await ctx.call(witnessRoutes.evidence)
        const shown = evidence.filter((e) => flags.country === undefined || e.country === flags.country)
        if (flags.json) return out.json({ evidence: shown })
        if (shown.length === 0) return out.line('no equivocation evidence recorded')
        for (const e of shown)
          out.line(
            `${out.style('red', '!')} ${e.country}: ${e.evidence.kind}, recorded ${formatTime(Date.parse(e.recordedAt), ctx.zone)} (entry ${e.seq}, found by ${e.reportedBy === 'self' ? 'this node' : e.reportedBy})`,
          )
        out.line(
          '  save it with --json, and check a bundle against it: pocnet ledger verify --evidence <file>',
        )
      }),
    'pocnet witness evidence --country FR --json > fr-evidence.json',
  )
}
