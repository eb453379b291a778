import { PRESERVATION_LIMITS, REFUSAL_GROUNDS } from '@pocnet/cases'
import { caseRoutes } from '@pocnet/node/control-client'
import { type Command, Option } from 'commander'
import { Context } from '../../context.ts'
import { CliError, EXIT, UsageError } from '../../errors.ts'
import { collect, examples, jsonOption, positiveInt } from '../../help.ts'
import { out } from '../../output.ts'
import { parseYaml } from '../../yaml-input.ts'
import { registerAttachmentCommands } from './attachments.ts'
import { registerCaseEndings } from './endings.ts'
import { printCase } from './format.ts'
import { writeFollowUpForm } from './forms.ts'
import { keepRenamedStepFlags } from './renamed-step-flags.ts'
import { postEvent } from './steps.ts'
import { uploadForStep } from './upload.ts'

const DAY_MS = 86_400_000

interface CustodianFlags {
  provider?: string
  dataCategory?: string
  dataFrom?: string
  dataTo?: string
}

/**
 * The custodian an extension is for when none is named: the only one preserved, named in the
 * event so that a custodian the requested side adds meanwhile cannot take its place.
 */
async function onlyCustodian(ctx: Context, id: string): Promise<string | undefined> {
  const { case: kase } = await ctx.call(caseRoutes.detail, { params: { id } })
  const open = kase.custodians.filter((k) => k.released === undefined)
  return open.length === 1 ? open[0]!.providerReference : undefined
}

/** The optional custodian details of `case preserve`, as event fields. */
function custodianFields(flags: CustodianFlags): Record<string, string> {
  return {
    ...(flags.provider === undefined ? {} : { provider: flags.provider }),
    ...(flags.dataCategory === undefined ? {} : { dataCategory: flags.dataCategory }),
    ...(flags.dataFrom === undefined ? {} : { dataFrom: flags.dataFrom }),
    ...(flags.dataTo === undefined ? {} : { dataTo: flags.dataTo }),
  }
}

/**
 * A `case <name> <id>` command that sends one `kind` event with one text `field`, given by the
 * option `flag` (`--text`, `--reason`: one flag per idea, docs/cases.md §5.1).
 */
export function textStep(
  kase: Command,
  step: {
    name: string
    kind: string
    description: string
    field: string
    flag: 'text' | 'reason'
    help: string
    presence: 'required' | 'optional' | { default: string }
    example: string
  },
): void {
  const flag = `--${step.flag} <text>`
  const command = kase.command(`${step.name} <id>`).description(step.description)
  if (step.presence === 'required') command.requiredOption(flag, step.help)
  else if (step.presence === 'optional') command.option(flag, step.help)
  else command.option(flag, step.help, step.presence.default)
  command
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: Record<string, string | boolean | undefined>, cmd: Command) => {
      const value = flags[step.flag]
      await postEvent(
        Context.of(cmd),
        id,
        { kind: step.kind, ...(value === undefined ? {} : { [step.field]: value }) },
        flags.json === true,
      )
    })
  examples(command, step.example)
}

/** `pocnet case`: follow a case, and send this side's steps on it. */
export function registerCase(program: Command): void {
  const kase = program.command('case').description('follow and answer a case (contact point)')
  examples(kase, 'pocnet case show <id>', 'pocnet case ack <id> --by "Insp. Marie Dupont"')
  registerAttachmentCommands(kase)

  examples(
    kase
      .command('show <id>')
      .description('a case: its request, status, deadlines, every event, and what may happen next')
      .addOption(jsonOption())
      .option('--request', 'print the full request as well')
      .action(async (id: string, flags: { json?: boolean; request?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const d = await ctx.call(caseRoutes.detail, { params: { id } })
        if (flags.json) return out.json(d)
        printCase(d, ctx.zone, flags.request === true)
      }),
    'pocnet case show IT-20261128-dd69bafb',
    'pocnet case show IT-20261128-dd69bafb --request',
  )

  examples(
    kase
      .command('ack <id>')
      .description('acknowledge a request: tell the requester a person has it (signed message)')
      .requiredOption('--by <name>', 'who acknowledges, as the requester should know them')
      .option('--role <role>', 'their role, e.g. "duty officer"')
      .option('--json', 'print the result as JSON')
      .action(async (id: string, flags: { by: string; role?: string; json?: boolean }, command: Command) => {
        await postEvent(
          Context.of(command),
          id,
          { kind: 'acknowledged', by: flags.by, ...(flags.role === undefined ? {} : { role: flags.role }) },
          flags.json,
        )
      }),
    'pocnet case ack IT-20261128-dd69bafb --by "Insp. Marie Dupont" --role "duty officer"',
  )

  textStep(kase, {
    name: 'progress',
    kind: 'in-progress',
    description: 'tell the requester the request is being worked on (requested side)',
    field: 'note',
    flag: 'text',
    help: 'what is happening, e.g. "sent to the provider"',
    presence: 'optional',
    example: 'pocnet case progress IT-20261128-dd69bafb --text "order served on the provider"',
  })

  textStep(kase, {
    name: 'ask',
    kind: 'information-requested',
    description:
      'ask the requester for what the request lacks (requested side); the case waits for the answer',
    field: 'questions',
    flag: 'text',
    help: 'what is needed',
    presence: 'required',
    example: 'pocnet case ask IT-20261128-dd69bafb --text "Which time zone are the log timestamps in?"',
  })

  textStep(kase, {
    name: 'inform',
    kind: 'information-provided',
    description: 'answer the questions the requested side asked (requester side)',
    field: 'answer',
    flag: 'text',
    help: 'the information asked for',
    presence: 'required',
    example: 'pocnet case inform IT-20261128-dd69bafb --text "UTC, as the provider\'s logs"',
  })

  examples(
    kase
      .command('limit <id>')
      .description(
        "notify that preservation will not ensure the data's availability, or threatens confidentiality (Art. 29(6), requested side)",
      )
      .addOption(
        new Option('--limit <limit>', 'which limitation')
          .choices([...PRESERVATION_LIMITS])
          .makeOptionMandatory(),
      )
      .requiredOption('--text <text>', 'what the requester needs to know to decide')
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { limit: string; text: string; json?: boolean }, command: Command) => {
          await postEvent(
            Context.of(command),
            id,
            { kind: 'limitation-notified', limit: flags.limit, details: flags.text },
            flags.json,
          )
        },
      ),
    'pocnet case limit IT-20261128-dd69bafb --limit confidentiality-threatened --text "The provider would alert its customer"',
  )

  textStep(kase, {
    name: 'proceed',
    kind: 'proceed-confirmed',
    description:
      'confirm the request should go ahead despite a notified limitation (Art. 29(6), requester side)',
    field: 'note',
    flag: 'text',
    help: 'why, or on what terms',
    presence: 'optional',
    example: 'pocnet case proceed IT-20261128-dd69bafb --text "Proceed; the prosecutor accepts the risk"',
  })

  textStep(kase, {
    name: 'withdraw',
    kind: 'withdrawn',
    description: 'withdraw a request that is still open (requester side); releases any preserved data',
    field: 'reason',
    flag: 'reason',
    help: 'why',
    presence: 'required',
    example: 'pocnet case withdraw IT-20261128-dd69bafb --reason "suspect identified by other means"',
  })

  examples(
    kase
      .command('reply <id>')
      .description('answer the request, with the files that answer it')
      .requiredOption('--text <text>', 'the answer')
      .option(
        '--attach <file>',
        'a file to send: uploaded to the node, fetched by the counterpart (repeat)',
        collect,
      )
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { text: string; attach?: string[]; json?: boolean }, command: Command) => {
          const ctx = Context.of(command)
          const attachments = await uploadForStep(ctx, id, 'answered', flags.attach ?? [])
          await postEvent(ctx, id, { kind: 'answered', summary: flags.text, attachments }, flags.json)
        },
      ),
    'pocnet case reply IT-20261128-dd69bafb --text "Subscriber data attached" --attach subscriber.pdf',
  )

  examples(
    kase
      .command('preserve <id>')
      .description('record that the provider preserved the data, for the period your law grants')
      .requiredOption(
        '--provider-ref <ref>',
        "the provider's or your own reference for the preservation order",
      )
      .requiredOption(
        '--days <n>',
        'days granted (national periods differ: 60, 90, 120...)',
        positiveInt('--days'),
      )
      .option('--expires-at <time>', 'end of the period, with offset (default: now + days)')
      .option('--provider <name>', 'the custodian holding the data (Art. 29(2)(d))')
      .option('--data-category <text>', 'what was preserved, e.g. "subscriber and traffic data"')
      .option('--data-from <time>', 'start of the time range of the preserved data, with offset')
      .option('--data-to <time>', 'end of the time range of the preserved data, with offset')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { providerRef: string; days: number; expiresAt?: string; json?: boolean } & CustodianFlags,
          command: Command,
        ) => {
          const expiresAt = flags.expiresAt ?? new Date(Date.now() + flags.days * DAY_MS).toISOString()
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'preserved',
              providerReference: flags.providerRef,
              grantedDays: flags.days,
              expiresAt,
              ...custodianFields(flags),
            },
            flags.json,
          )
        },
      ),
    'pocnet case preserve IT-20261128-dd69bafb --provider-ref "OVH-2026-4471" --days 90',
    'pocnet case preserve IT-20261128-dd69bafb --provider-ref "HZ-88" --days 90 --provider "Hetzner"   # a second custodian',
  )

  examples(
    kase
      .command('disclose <id>')
      .description('Art. 30: disclose the traffic data naming a provider in a third country')
      .requiredOption('--third-country <CC>', 'country of the provider that took part in the communication')
      .requiredOption('--provider <name>', 'that provider')
      .requiredOption('--traffic-data <text>', 'the disclosed path and what links it to the provider')
      .requiredOption(
        '--identifier <yaml>',
        'an identifier to preserve there, as YAML (repeat), e.g. "{type: ip, address: 203.0.113.7, timestamp: 2026-11-28T10:00:00Z}"',
        collect,
      )
      .option('--attach <file>', 'the disclosed data as a file to send (repeat)', collect)
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: {
            thirdCountry: string
            provider: string
            trafficData: string
            identifier: string[]
            attach?: string[]
            json?: boolean
          },
          command: Command,
        ) => {
          const identifiers = await Promise.all(
            flags.identifier.map((text, i) =>
              parseYaml(text, {
                where: `--identifier #${i + 1}`,
                code: 'ERR_USAGE',
                exitCode: EXIT.usage,
                hint: 'write it as a YAML map, e.g. "{type: ip, address: 203.0.113.7, timestamp: 2026-11-28T10:00:00Z}"',
              }),
            ),
          )
          const ctx = Context.of(command)
          const attachments = await uploadForStep(ctx, id, 'partially-disclosed', flags.attach ?? [])
          await postEvent(
            ctx,
            id,
            {
              kind: 'partially-disclosed',
              thirdCountry: flags.thirdCountry.toUpperCase(),
              thirdCountryProvider: flags.provider,
              trafficData: flags.trafficData,
              identifiers,
              ...(attachments.length > 0 && { attachments }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case disclose IT-20261128-dd69bafb --third-country US --provider "Example Cloud Inc." \\\n' +
      '      --traffic-data "relayed via 203.0.113.7" --identifier "{type: ip, address: 203.0.113.7, timestamp: 2026-11-28T09:12:00Z}"',
  )

  examples(
    kase
      .command('refuse <id>')
      .description('refuse the request on a Convention ground (Art. 29(4)-(5)), with an explanation')
      .addOption(
        new Option('--ground <ground>', 'refusal ground').choices([...REFUSAL_GROUNDS]).makeOptionMandatory(),
      )
      .requiredOption('--reason <text>', 'why, in words the requester can act on')
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { ground: string; reason: string; json?: boolean }, command: Command) => {
          await postEvent(
            Context.of(command),
            id,
            { kind: 'refused', ground: flags.ground, explanation: flags.reason },
            flags.json,
          )
        },
      ),
    'pocnet case refuse IT-20261128-dd69bafb --ground essential-interests --reason "…"',
  )

  examples(
    kase
      .command('extend <id>')
      .description('request an extension of a preservation (requester), or grant / refuse one (requested)')
      .option('--reason <text>', 'why (to request or refuse)')
      .option('--days <n>', 'days asked for, or days granted', positiveInt('--days'))
      .option('--provider-ref <ref>', 'to request: the custodian to extend, when several are preserved')
      .option('--grant', 'grant the pending extension for --days')
      .option('--refuse', 'refuse the pending extension, with --reason')
      .option('--expires-at <time>', 'with --grant: the new end, with offset (default: current end + days)')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: {
            reason?: string
            days?: number
            providerRef?: string
            grant?: boolean
            refuse?: boolean
            expiresAt?: string
            json?: boolean
          },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          if (flags.grant && flags.refuse) throw new UsageError('--grant and --refuse exclude each other')
          if (flags.grant) {
            if (flags.days === undefined) throw new UsageError('--grant needs --days')
            let expiresAt = flags.expiresAt
            if (expiresAt === undefined) {
              const { case: kase } = await ctx.call(caseRoutes.detail, { params: { id } })
              const ref = kase.pendingExtension?.providerReference
              const current = (kase.custodians.find((k) => k.providerReference === ref) ?? kase.preservation)
                ?.current.expiresAt
              if (current === undefined)
                throw new CliError('ERR_NOT_PRESERVED', `case ${id} has no preservation to extend`)
              expiresAt = new Date(Date.parse(current) + flags.days * DAY_MS).toISOString()
            }
            return postEvent(
              ctx,
              id,
              { kind: 'extension-granted', grantedDays: flags.days, expiresAt },
              flags.json,
            )
          }
          if (flags.reason === undefined)
            throw new UsageError('--reason is required to request or refuse an extension')
          if (flags.refuse)
            return postEvent(ctx, id, { kind: 'extension-refused', reason: flags.reason }, flags.json)
          const providerRef = flags.providerRef ?? (await onlyCustodian(ctx, id))
          return postEvent(
            ctx,
            id,
            {
              kind: 'extension-requested',
              reason: flags.reason,
              ...(flags.days === undefined ? {} : { days: flags.days }),
              ...(providerRef === undefined ? {} : { providerReference: providerRef }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case extend IT-20261128-dd69bafb --reason "MLA request delayed" --days 90     # requester',
    'pocnet case extend IT-20261128-dd69bafb --grant --days 90                            # requested',
  )

  examples(
    kase
      .command('mla <id>')
      .description(
        'record that the MLA request was submitted (requester); the expiry clock stops only at its receipt (`mla-received`, Art. 29(7))',
      )
      .requiredOption('--mla-ref <ref>', 'the MLA request reference')
      .option('--authority <name>', 'the authority it was sent to')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { mlaRef: string; authority?: string; json?: boolean },
          command: Command,
        ) => {
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'mla-submitted',
              mlaReference: flags.mlaRef,
              ...(flags.authority === undefined ? {} : { authority: flags.authority }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case mla IT-20261128-dd69bafb --mla-ref "MLA/2026/118" --authority "Ministère de la Justice"',
  )

  registerCaseEndings(kase)

  textStep(kase, {
    name: 'close',
    kind: 'closed',
    description: 'close the case',
    field: 'reason',
    flag: 'reason',
    help: 'why',
    presence: { default: 'no further action needed' },
    example: 'pocnet case close IT-20261128-dd69bafb --reason "data received under MLA"',
  })

  examples(
    kase
      .command('followup <id>')
      .description(
        'Art. 30: write the pre-filled preservation request to the third country, linked to this case',
      )
      .requiredOption('--out <req.yaml>', 'where to write the form, to review then send')
      .option(
        '--third-country <CC>',
        'the third country whose disclosure to follow up, when the path crossed several (default: the latest)',
      )
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { out: string; thirdCountry?: string; json?: boolean },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const followUp = await ctx.call(caseRoutes.followUp, {
            params: { id },
            body:
              flags.thirdCountry === undefined ? undefined : { country: flags.thirdCountry.toUpperCase() },
          })
          const to = await writeFollowUpForm(flags.out, id, followUp)
          if (flags.json) return out.json({ to, file: flags.out, request: followUp.request })
          out.line(
            `${out.style('green', '✓')} wrote ${flags.out}: preservation request to ${to}, follow-up of case ${id}`,
          )
          out.line(
            `  review it, then: pocnet request send --to ${to} --type preservation --file ${flags.out}`,
          )
        },
      ),
    'pocnet case followup IT-20261128-dd69bafb --out us-req.yaml && pocnet request send --to US --file us-req.yaml',
  )

  keepRenamedStepFlags(kase)
}
