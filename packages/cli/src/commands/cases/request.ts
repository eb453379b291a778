import { createHash } from 'node:crypto'
import { REQUEST_TYPES, type RequestType, templateFor } from '@pocnet/cases'
import { caseRoutes } from '@pocnet/node/control-client'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import { Argument, type Command, Option } from 'commander'
import { Context } from '../../context.ts'
import { CliError, InvalidFormError, UsageError } from '../../errors.ts'
import { collect, examples } from '../../help.ts'
import { out } from '../../output.ts'
import { checkCounterpartForm, printWarnings } from './counterpart.ts'
import { deliveryText, firstAttempt } from './delivery.ts'
import { formProblems, readFormWithAttachments } from './forms.ts'
import { repeatedLines, repeatsIfReachable } from './request-summary.ts'
import { uploadAttachment, withoutTransfer } from './upload.ts'

/**
 * For --check, which does not need the daemon: that `to` is a member of the roster in the data
 * directory, when one is there to read (the daemon checks again when the request is sent).
 */
async function checkMember(ctx: Context, to: string): Promise<void> {
  const roster = await ctx.localRoster()
  if (roster === undefined) return
  if (!roster.members.has(to))
    throw new CliError(
      'ERR_NOT_A_MEMBER',
      `--to ${to}: not a member of the federation (${ctx.path('roster')})`,
      {
        hint: `the members are ${[...roster.members.keys()].sort().join(', ')} (\`pocnet directory list\`)`,
      },
    )
}

/** `pocnet request`: write a request form, check it, send it. */
export function registerRequest(program: Command): void {
  const request = program
    .command('request')
    .description('write and send requests to another country (contact point)')
  examples(
    request,
    'pocnet request template preservation > req.yaml',
    'pocnet request send --to FR --type preservation --file req.yaml',
  )
  examples(
    request
      .command('template')
      .description('print the commented YAML form of a request type (offline)')
      .addArgument(new Argument('<type>', 'request type').choices([...REQUEST_TYPES]))
      .action(async (type: RequestType) => {
        process.stdout.write(templateFor(type))
      }),
    'pocnet request template preservation > req.yaml',
    'pocnet request template emergency-disclosure',
  )
  examples(
    request
      .command('send')
      .description('check a request form, list every problem, and send it only when it has none')
      .requiredOption('--to <CC>', 'the requested country, e.g. FR')
      .addOption(new Option('--type <type>', 'request type the form must be').choices([...REQUEST_TYPES]))
      .requiredOption('--file <req.yaml>', 'the filled-in form')
      .option(
        '--attach <file>',
        'a file to send with the request: uploaded to the node, fetched by the counterpart (repeat)',
        collect,
      )
      .option(
        '--idempotency-key <key>',
        'names this submission (8-128 of A-Z a-z 0-9 . _ : -); default: derived from --to and the form, so sending the same form again returns the first case, never a duplicate',
      )
      .option(
        '--check',
        "only check the form, and the counterpart's services, languages and declarations; send nothing",
      )
      .option('--json', 'print the result (or the problems) as JSON')
      .action(
        async (
          flags: {
            to: string
            type?: RequestType
            file: string
            attach?: string[]
            idempotencyKey?: string
            check?: boolean
            json?: boolean
          },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const to = flags.to.toUpperCase()
          if (!isCountryCode(to))
            throw new UsageError(`--to ${flags.to}: must be ${COUNTRY_CODE_RULE}, like FR`)
          // checked with the files named by hash first: nothing is uploaded for a form that is wrong
          const named = await readFormWithAttachments(flags.file, flags.attach)
          const problems = formProblems(named, flags.type)
          if (problems.length > 0) {
            if (flags.json) out.json({ sent: false, problems })
            throw new InvalidFormError(flags.file, problems)
          }
          if (flags.check) {
            await checkMember(ctx, to)
            const repeats = await repeatsIfReachable(ctx, named)
            const report = await checkCounterpartForm(ctx, to, named)
            if (flags.json)
              return out.json({
                sent: false,
                problems: [],
                repeatedIdentifiers: repeats ?? null,
                warnings: report?.warnings ?? [],
                checked: !!report?.checked,
              })
            printWarnings(report?.warnings)
            out.line(`${out.style('green', '✓')} ${flags.file}: no problems (not sent: --check)`)
            for (const line of repeatedLines(repeats ?? [])) out.line(line)
            return
          }
          const form = await readFormWithAttachments(flags.file, flags.attach, (f) =>
            uploadAttachment(ctx, f),
          )
          // what each upload makes fresh (id, key) left out: the same form and files are the same submission
          const idempotencyKey =
            flags.idempotencyKey ??
            `form-${createHash('sha256')
              .update(JSON.stringify([to, withoutTransfer(form)]))
              .digest('hex')
              .slice(0, 40)}`
          const r = await ctx.call(caseRoutes.open, { body: { to, request: form, idempotencyKey } })
          // durable once opened; whether it reached the counterpart is the first attempt's to say
          const delivery = r.repeated ? undefined : await firstAttempt(ctx, r.caseId, r.messageId)
          if (flags.json) return out.json({ sent: true, ...r, delivery: delivery ?? null })
          printWarnings(r.warnings)
          if (r.repeated)
            out.line(
              `${out.style('green', '✓')} already sent to ${to}: case ${out.style('bold', r.caseId)} (message ${r.messageId}); this form was sent before, so no second request went out`,
            )
          else if (delivery === undefined || delivery.state === 'delivered')
            out.line(
              `${out.style('green', '✓')} request sent to ${to}: case ${out.style('bold', r.caseId)} (message ${r.messageId})`,
            )
          else if (delivery.state === 'queued')
            out.line(
              `${out.style('yellow', '…')} request to ${to} queued, not delivered yet: case ${out.style('bold', r.caseId)} (message ${r.messageId})\n  ${deliveryText(delivery, ctx.zone)}\n  the node keeps trying until ${to} takes it or the outbox gives up`,
            )
          else
            out.line(
              `${out.style('red', '✗')} request to ${to} not delivered: case ${out.style('bold', r.caseId)} (message ${r.messageId})\n  ${deliveryText(delivery, ctx.zone)}`,
            )
          for (const line of repeatedLines(r.repeatedIdentifiers ?? [])) out.line(line)
          out.line(
            `  follow it with \`pocnet case show ${r.caseId}\`; the receipt and the acknowledgement appear there`,
          )
        },
      ),
    'pocnet request send --to FR --type preservation --file req.yaml',
    'pocnet request send --to FR --file req.yaml --attach headers.eml --check',
  )
}
