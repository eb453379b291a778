import { REQUEST_TYPES, type RequestType } from '@pocnet/cases'
import { DRAFT_STATUSES, type DraftSummary, intakeRoutes } from '@pocnet/node/control-client'
import { type Command, Option } from 'commander'
import { Context } from '../../context.ts'
import { InvalidFormError } from '../../errors.ts'
import { collect, examples, jsonOption } from '../../help.ts'
import { out } from '../../output.ts'
import { printCase } from './format.ts'
import { formProblems, readFormWithAttachments } from './forms.ts'
import { countryFlag, draftsTable, printDraft, reportDraft } from './intake-format.ts'
import { registerIntakeReview } from './intake-review.ts'

interface FormFlags {
  to?: string
  type?: RequestType
  file: string
  attach?: string[]
  json?: boolean
}

/** Reads and checks a form as `request send` does: every problem listed, nothing saved. */
async function checkedForm(flags: FormFlags): Promise<unknown> {
  const form = await readFormWithAttachments(flags.file, flags.attach)
  const problems = formProblems(form, flags.type)
  if (problems.length > 0) {
    if (flags.json) out.json({ saved: false, problems })
    throw new InvalidFormError(flags.file, problems)
  }
  return form
}

/** The form options of `draft` and `revise`. */
function formOptions(command: Command, toRequired: boolean): Command {
  return command[toRequired ? 'requiredOption' : 'option']('--to <CC>', 'the requested country, e.g. FR')
    .addOption(new Option('--type <type>', 'request type the form must be').choices([...REQUEST_TYPES]))
    .requiredOption('--file <req.yaml>', 'the filled-in form (`pocnet request template <type>`)')
    .option('--attach <file>', 'attach a file by its SHA-256, name and size (repeat)', collect)
    .option('--json', 'print the draft (or the problems) as JSON')
}

/**
 * `pocnet intake`: an investigator drafts a request, a contact point reviews it. This file has the
 * investigator's commands and the reading ones; intake-review.ts the contact point's.
 */
export function registerIntake(program: Command): void {
  const intake = program
    .command('intake')
    .description(
      'draft requests for a contact point to review and send (investigator), review them (contact point)',
    )
  examples(
    intake,
    'pocnet intake draft --to FR --type preservation --file req.yaml',
    'pocnet intake submit D-20261206-1a2b3c4d',
    'pocnet intake review',
  )

  examples(
    formOptions(
      intake.command('draft').description('check a request form and save it as a draft (nothing is sent)'),
      true,
    ).action(async (flags: FormFlags & { to: string }, command: Command) => {
      const to = countryFlag(flags.to)
      const request = await checkedForm(flags)
      const d = await Context.of(command).call(intakeRoutes.create, { body: { to, request } })
      reportDraft(
        d,
        flags.json,
        `saved for ${to}; nothing is sent`,
        `submit it for review: \`pocnet intake submit ${d.id}\``,
      )
    }),
    'pocnet intake draft --to FR --type preservation --file req.yaml',
  )

  examples(
    formOptions(
      intake
        .command('revise <id>')
        .description('replace the form of a draft, or of one returned with comments'),
      false,
    ).action(async (id: string, flags: FormFlags, command: Command) => {
      const to = flags.to === undefined ? undefined : countryFlag(flags.to)
      const request = await checkedForm(flags)
      const d = await Context.of(command).call(intakeRoutes.revise, {
        params: { id },
        body: { ...(to === undefined ? {} : { to }), request },
      })
      reportDraft(
        d,
        flags.json,
        `revised (revision ${d.revision})`,
        `submit it again: \`pocnet intake submit ${d.id}\``,
      )
    }),
    'pocnet intake revise D-20261206-1a2b3c4d --file req.yaml',
  )

  examples(
    intake
      .command('submit <id>')
      .description('hand a draft to the contact points for review')
      .option('--json', 'print the draft as JSON')
      .action(async (id: string, flags: { json?: boolean }, command: Command) => {
        const d = await Context.of(command).call(intakeRoutes.submit, { params: { id } })
        reportDraft(d, flags.json, 'submitted for review', `follow it with \`pocnet intake show ${d.id}\``)
      }),
    'pocnet intake submit D-20261206-1a2b3c4d',
  )

  examples(
    intake
      .command('list')
      .description('the drafts you may see: an investigator their own, a contact point all')
      .addOption(new Option('--status <status>', 'only drafts in this status').choices([...DRAFT_STATUSES]))
      .addOption(jsonOption())
      .action(async (flags: { status?: DraftSummary['status']; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { drafts } = await ctx.call(intakeRoutes.list, {
          query: flags.status === undefined ? {} : { status: flags.status },
        })
        if (flags.json) return out.json({ drafts })
        out.line(drafts.length === 0 ? 'no drafts' : draftsTable(drafts, ctx.zone))
      }),
    'pocnet intake list',
    'pocnet intake list --status returned',
  )

  examples(
    intake
      .command('show <id>')
      .description("a draft: its status, every step with the reviewers' comments, and what may happen next")
      .option('--request', 'print the request as well')
      .addOption(jsonOption())
      .action(async (id: string, flags: { json?: boolean; request?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const d = await ctx.call(intakeRoutes.show, { params: { id } })
        if (flags.json) return out.json(d)
        printDraft(d, ctx.zone, flags.request === true)
        if (d.caseId !== null) out.line(`  the case and the answers: \`pocnet intake case ${d.caseId}\``)
      }),
    'pocnet intake show D-20261206-1a2b3c4d --request',
  )

  examples(
    intake
      .command('case <caseId>')
      .description("a case one of your drafts became, with the counterpart's answers (investigator)")
      .option('--request', 'print the request as well')
      .addOption(jsonOption())
      .action(async (caseId: string, flags: { json?: boolean; request?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const d = await ctx.call(intakeRoutes.case, { params: { id: caseId } })
        if (flags.json) return out.json(d)
        printCase(d, ctx.zone, flags.request === true)
      }),
    'pocnet intake case IT-20261206-dd69bafb',
  )

  registerIntakeReview(intake)
}
