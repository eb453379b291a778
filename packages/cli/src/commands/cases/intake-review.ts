import { intakeRoutes } from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { Context } from '../../context.ts'
import { examples, jsonOption } from '../../help.ts'
import { out } from '../../output.ts'
import { draftsTable, reportDraft } from './intake-format.ts'

/** The contact point's side of `pocnet intake`: what waits for review, and the three answers to a draft. */
export function registerIntakeReview(intake: Command): void {
  examples(
    intake
      .command('review')
      .description('the drafts submitted for review, oldest change last (contact point)')
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { drafts } = await ctx.call(intakeRoutes.list, { query: { status: 'submitted' } })
        if (flags.json) return out.json({ drafts })
        if (drafts.length === 0) return out.line('no drafts wait for review')
        out.line(draftsTable(drafts, ctx.zone))
        out.line('  read one with `pocnet intake show <id> --request`, then approve, return or refuse it')
      }),
    'pocnet intake review',
  )

  examples(
    intake
      .command('approve <id>')
      .description('send a submitted draft to its country as a request: it becomes a case (contact point)')
      .option('--json', 'print the result as JSON')
      .action(async (id: string, flags: { json?: boolean }, command: Command) => {
        const r = await Context.of(command).call(intakeRoutes.approve, { params: { id } })
        if (flags.json) return out.json(r)
        out.line(
          `${out.style('green', '✓')} draft ${out.style('bold', id)} approved and sent to ${r.draft.to}: case ${out.style('bold', r.caseId)} (message ${r.messageId})`,
        )
        out.line(
          `  follow it with \`pocnet case show ${r.caseId}\`; its author sees it with \`pocnet intake case ${r.caseId}\``,
        )
      }),
    'pocnet intake approve D-20261206-1a2b3c4d',
  )

  examples(
    intake
      .command('return <id>')
      .description('give a submitted draft back to its author with comments, to revise (contact point)')
      .requiredOption('--comments <text>', 'what to change, for the author')
      .option('--json', 'print the draft as JSON')
      .action(async (id: string, flags: { comments: string; json?: boolean }, command: Command) => {
        const d = await Context.of(command).call(intakeRoutes.return, {
          params: { id },
          body: { comments: flags.comments },
        })
        reportDraft(
          d,
          flags.json,
          `returned to ${d.owner}`,
          `they revise it with \`pocnet intake revise ${d.id}\``,
        )
      }),
    'pocnet intake return D-20261206-1a2b3c4d --comments "name the provider and the log period"',
  )

  examples(
    intake
      .command('refuse <id>')
      .description('refuse a submitted draft for good, with the reason (contact point)')
      .requiredOption('--reason <text>', 'why, for the author')
      .option('--json', 'print the draft as JSON')
      .action(async (id: string, flags: { reason: string; json?: boolean }, command: Command) => {
        const d = await Context.of(command).call(intakeRoutes.refuse, {
          params: { id },
          body: { reason: flags.reason },
        })
        reportDraft(d, flags.json, 'refused', `${d.owner} sees the reason in \`pocnet intake show ${d.id}\``)
      }),
    'pocnet intake refuse D-20261206-1a2b3c4d --reason "not within the Convention: no cybercrime"',
  )
}
