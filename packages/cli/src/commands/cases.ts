import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type Attachment,
  type CaseEvent,
  type CaseEventKind,
  isFinished,
  PRESERVATION_LIMITS,
  type Problem,
  REFUSAL_GROUNDS,
  REQUEST_TYPES,
  type RequestType,
  renderSummary,
  SCHEMAS,
  templateFor,
  validateRequest,
} from '@pocnet/cases'
import {
  type CaseStep,
  caseRoutes,
  type FeedBatch,
  type IllegalStepDetails,
  type StepSent,
} from '@pocnet/node/client'
import { Argument, type Command, Option } from 'commander'
import { Context } from '../context.ts'
import { CliError, InvalidFormError, UsageError } from '../errors.ts'
import { collect, examples, jsonOption, positiveInt } from '../help.ts'
import { formatTime, out, relative, table } from '../output.ts'

const DAY_MS = 86_400_000

/** A file named by its SHA-256 (hex), name and size: the bytes go by another channel, both sides check the hash. */
export async function attachmentOf(file: string): Promise<Attachment> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (e) {
    throw new CliError(
      'ERR_ATTACHMENT',
      `cannot read attachment ${file} (${(e as NodeJS.ErrnoException).code})`,
    )
  }
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return { name: basename(file), sha256: hash.digest('hex'), size }
}

/** Reads a YAML request form; a YAML syntax error is reported with its line, like a field problem. */
export async function readForm(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new CliError('ERR_FORM', `cannot read ${file} (${(e as NodeJS.ErrnoException).code})`, {
      hint: 'write one from `pocnet request template <type> > req.yaml`',
    })
  }
  // YAML is loaded only by the commands that read or write forms: it is a third of start-up
  const { parseDocument } = await import('yaml')
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    throw new CliError('ERR_FORM_YAML', `${file} is not valid YAML`, {
      lines: doc.errors.map((e) => `  ${e.message.split('\n')[0]}`),
      hint: 'check the indentation and quoting at the line named above',
    })
  }
  return doc.toJS()
}

/**
 * Everything wrong with a form before it may be sent: the cases package's field checks, plus
 * the CLI's own (the form's schema matches --type).
 */
export function formProblems(form: unknown, type: RequestType | undefined): Problem[] {
  const problems: Problem[] = []
  const schema = (form as { schema?: unknown } | null)?.schema
  if (type !== undefined && schema !== undefined && schema !== SCHEMAS[type]) {
    problems.push({
      path: 'schema',
      rule: 'consistency',
      message: `is '${String(schema)}' but --type ${type} needs '${SCHEMAS[type]}'`,
    })
  }
  const checked = validateRequest(form)
  if (!checked.ok) problems.push(...checked.problems)
  return problems
}

function deadline(v: string | null | undefined, zone: string): string {
  if (v === null || v === undefined || v === '') return '-'
  const rel = relative(v)
  const text = `${formatTime(v, zone)} (${rel})`
  return rel.endsWith('ago') ? out.style('red', text) : text
}

function eventLine(e: CaseEvent, zone: string): string {
  const { kind, at, side, id: _id, seq: _seq, ...rest } = e
  const facts = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ')
  return `  ${formatTime(at, zone)}  ${String(side).padEnd(9)}  ${out.style('bold', String(kind))}  ${facts}`.trimEnd()
}

/** The `pocnet case` command that sends each event kind (docs/cases.md §5.1). */
const COMMAND_OF_EVENT: Partial<Record<CaseEventKind, string>> = {
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
  withdrawn: 'withdraw',
  closed: 'close',
}

async function postEvent(ctx: Context, caseId: string, event: CaseStep, json: boolean | undefined) {
  let r: StepSent
  try {
    r = await ctx.call(caseRoutes.step, { params: { id: caseId }, body: event })
  } catch (e) {
    throw e instanceof CliError && e.code === 'ERR_ILLEGAL_TRANSITION' ? withNextCommands(e, caseId) : e
  }
  if (json) return out.json(r)
  out.line(
    `${out.style('green', '✓')} ${String(event.kind)} sent on case ${caseId}: status now ${r.status} (message ${r.messageId})`,
  )
}

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

/**
 * A `case <name> <id>` command that sends one `kind` event with one text field, given by the
 * option of the same name (`--note`, `--reason`, …).
 */
function textStep(
  kase: Command,
  step: {
    name: string
    kind: string
    description: string
    field: string
    help: string
    presence: 'required' | 'optional' | { default: string }
    example: string
  },
): void {
  const flag = `--${step.field} <text>`
  const command = kase.command(`${step.name} <id>`).description(step.description)
  if (step.presence === 'required') command.requiredOption(flag, step.help)
  else if (step.presence === 'optional') command.option(flag, step.help)
  else command.option(flag, step.help, step.presence.default)
  command
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: Record<string, string | boolean | undefined>, cmd: Command) => {
      const value = flags[step.field]
      await postEvent(
        Context.of(cmd),
        id,
        { kind: step.kind, ...(value === undefined ? {} : { [step.field]: value }) },
        flags.json === true,
      )
    })
  examples(command, step.example)
}

export function registerCases(program: Command): void {
  // ------------------------------------------------------------------ request
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
      .option('--attach <file>', 'attach a file by its SHA-256, name and size (repeat)', collect)
      .option(
        '--idempotency-key <key>',
        'names this submission (8-128 of A-Z a-z 0-9 . _ : -); default: derived from --to and the form, so sending the same form again returns the first case, never a duplicate',
      )
      .option('--check', 'only check the form; send nothing')
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
          if (!/^[A-Z]{2}$/.test(to)) throw new UsageError(`--to ${flags.to}: must be a country code like FR`)
          const form = await readForm(flags.file)
          if (flags.attach !== undefined && form !== null && typeof form === 'object') {
            const f = form as { attachments?: unknown }
            const earlier = Array.isArray(f.attachments) ? f.attachments : []
            f.attachments = [...earlier, ...(await Promise.all(flags.attach.map(attachmentOf)))]
          }
          const problems = formProblems(form, flags.type)
          if (problems.length > 0) {
            if (flags.json) out.json({ sent: false, problems })
            throw new InvalidFormError(flags.file, problems)
          }
          if (flags.check) {
            await checkMember(ctx, to)
            if (flags.json) return out.json({ sent: false, problems: [] })
            return out.line(`${out.style('green', '✓')} ${flags.file}: no problems (not sent: --check)`)
          }
          const idempotencyKey =
            flags.idempotencyKey ??
            `form-${createHash('sha256')
              .update(JSON.stringify([to, form]))
              .digest('hex')
              .slice(0, 40)}`
          const r = await ctx.call(caseRoutes.open, { body: { to, request: form, idempotencyKey } })
          if (flags.json) return out.json({ sent: true, ...r })
          out.line(
            r.repeated === true
              ? `${out.style('green', '✓')} already sent to ${to}: case ${out.style('bold', r.caseId)} (message ${r.messageId}); this form was sent before, so no second request went out`
              : `${out.style('green', '✓')} request sent to ${to}: case ${out.style('bold', r.caseId)} (message ${r.messageId})`,
          )
          out.line(
            `  follow it with \`pocnet case show ${r.caseId}\`; the receipt and the acknowledgement appear there`,
          )
        },
      ),
    'pocnet request send --to FR --type preservation --file req.yaml',
    'pocnet request send --to FR --file req.yaml --attach headers.eml --check',
  )

  // ------------------------------------------------------------------ inbox
  examples(
    program
      .command('inbox')
      .description('open cases with their deadlines (in your time zone); --watch follows new events live')
      .addOption(jsonOption())
      .option('--watch', 'after the list, print each new event as it happens (rings on a new request)')
      .option('--all', 'include finished cases')
      .action(async (flags: { json?: boolean; watch?: boolean; all?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { cases } = await ctx.call(caseRoutes.list)
        const shown = flags.all ? cases : cases.filter((c) => !isFinished(c))
        if (flags.json && !flags.watch) return out.json({ cases: shown })
        if (!flags.json) {
          if (shown.length === 0) out.line('no open cases')
          else
            out.line(
              table([
                ['CASE', 'TYPE', 'FROM→TO', 'STATUS', 'URGENCY', 'ACK DUE', 'PRESERVED UNTIL', 'NEXT ALERT'],
                ...shown.map((c) => [
                  c.id,
                  c.type,
                  `${c.requester}→${c.requested}`,
                  c.status,
                  c.urgency,
                  deadline(c.ackDueAt, ctx.zone),
                  deadline(c.preservationExpiresAt, ctx.zone),
                  c.nextAlert === null ? '-' : formatTime(c.nextAlert, ctx.zone),
                ]),
              ]),
            )
        }
        if (flags.watch) await watch(ctx, flags.json === true)
      }),
    'pocnet inbox',
    'pocnet inbox --json | jq \'.cases[] | select(.side == "requested" and .status == "delivered")\'',
    'pocnet inbox --watch',
  )

  // ------------------------------------------------------------------ case
  const kase = program.command('case').description('follow and answer a case (contact point)')
  examples(kase, 'pocnet case show <id>', 'pocnet case ack <id> --by "Insp. Marie Dupont"')

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
        const c = d.case
        out.line(out.style('bold', `case ${c.id}: ${c.type} ${c.requester}→${c.requested}, ${c.status}`))
        out.line(`  opened       ${formatTime(c.openedAt, ctx.zone)}`)
        const ack = c.acknowledgement
        if (ack !== undefined) out.line(`  acknowledged ${formatTime(ack.at, ctx.zone)} by ${ack.by}`)
        else if (d.ackDueAt !== null) out.line(`  ack due      ${deadline(d.ackDueAt, ctx.zone)}`)
        if (d.nextAlert !== null) out.line(`  next alert   ${deadline(d.nextAlert, ctx.zone)}`)
        if (c.preservation !== undefined)
          out.line(
            `  preserved    ref ${c.preservation.providerReference}, ${preservedDays(c.preservation.periods)}, until ${deadline(c.preservation.current.expiresAt, ctx.zone)}`,
          )
        for (const x of c.disclosures)
          out.line(
            `  Art. 30      ${x.thirdCountryProvider} in ${x.thirdCountry}: \`pocnet case followup ${c.id} --country ${x.thirdCountry} --out req.yaml\``,
          )
        for (const l of c.links)
          out.line(`  linked       ${l.relation} ${l.reference}${l.caseId ? ` (case ${l.caseId})` : ''}`)
        out.line(out.style('bold', 'events'))
        for (const e of d.events) out.line(eventLine(e, ctx.zone))
        out.line(
          `${out.style('bold', 'next')}  ${d.allowedMoves.length === 0 ? 'nothing: the case is finished' : d.allowedMoves.map((m) => `${m.kind} (${m.side})`).join(', ')}`,
        )
        if (flags.request) {
          out.line()
          out.line(renderSummary(c.request))
        }
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
    help: 'what is happening, e.g. "sent to the provider"',
    presence: 'optional',
    example: 'pocnet case progress IT-20261128-dd69bafb --note "order served on the provider"',
  })

  textStep(kase, {
    name: 'ask',
    kind: 'information-requested',
    description:
      'ask the requester for what the request lacks (requested side); the case waits for the answer',
    field: 'questions',
    help: 'what is needed',
    presence: 'required',
    example: 'pocnet case ask IT-20261128-dd69bafb --questions "Which time zone are the log timestamps in?"',
  })

  textStep(kase, {
    name: 'inform',
    kind: 'information-provided',
    description: 'answer the questions the requested side asked (requester side)',
    field: 'answer',
    help: 'the information asked for',
    presence: 'required',
    example: 'pocnet case inform IT-20261128-dd69bafb --answer "UTC, as the provider\'s logs"',
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
      .requiredOption('--details <text>', 'what the requester needs to know to decide')
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { limit: string; details: string; json?: boolean }, command: Command) => {
          await postEvent(
            Context.of(command),
            id,
            { kind: 'limitation-notified', limit: flags.limit, details: flags.details },
            flags.json,
          )
        },
      ),
    'pocnet case limit IT-20261128-dd69bafb --limit confidentiality-threatened --details "The provider would alert its customer"',
  )

  textStep(kase, {
    name: 'proceed',
    kind: 'proceed-confirmed',
    description:
      'confirm the request should go ahead despite a notified limitation (Art. 29(6), requester side)',
    field: 'note',
    help: 'why, or on what terms',
    presence: 'optional',
    example: 'pocnet case proceed IT-20261128-dd69bafb --note "Proceed; the prosecutor accepts the risk"',
  })

  textStep(kase, {
    name: 'withdraw',
    kind: 'withdrawn',
    description: 'withdraw a request that is still open (requester side)',
    field: 'reason',
    help: 'why',
    presence: 'required',
    example: 'pocnet case withdraw IT-20261128-dd69bafb --reason "suspect identified by other means"',
  })

  examples(
    kase
      .command('reply <id>')
      .description('answer the request, with attachments named by their SHA-256')
      .requiredOption('--summary <text>', 'the answer')
      .option('--attach <file>', 'a file sent by another channel, named by its hash (repeat)', collect)
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { summary: string; attach?: string[]; json?: boolean },
          command: Command,
        ) => {
          const attachments = await Promise.all((flags.attach ?? []).map(attachmentOf))
          await postEvent(
            Context.of(command),
            id,
            { kind: 'answered', summary: flags.summary, attachments },
            flags.json,
          )
        },
      ),
    'pocnet case reply IT-20261128-dd69bafb --summary "Subscriber data attached" --attach subscriber.pdf',
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
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { providerRef: string; days: number; expiresAt?: string; json?: boolean },
          command: Command,
        ) => {
          const expiresAt = flags.expiresAt ?? new Date(Date.now() + flags.days * DAY_MS).toISOString()
          await postEvent(
            Context.of(command),
            id,
            { kind: 'preserved', providerReference: flags.providerRef, grantedDays: flags.days, expiresAt },
            flags.json,
          )
        },
      ),
    'pocnet case preserve IT-20261128-dd69bafb --provider-ref "OVH-2026-4471" --days 90',
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
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: {
            thirdCountry: string
            provider: string
            trafficData: string
            identifier: string[]
            json?: boolean
          },
          command: Command,
        ) => {
          const { parseDocument } = await import('yaml')
          const identifiers = flags.identifier.map((text, i) => {
            const doc = parseDocument(text)
            if (doc.errors.length > 0)
              throw new UsageError(`--identifier #${i + 1} is not valid YAML: ${doc.errors[0]!.message}`)
            return doc.toJS() as unknown
          })
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'partially-disclosed',
              thirdCountry: flags.thirdCountry.toUpperCase(),
              thirdCountryProvider: flags.provider,
              trafficData: flags.trafficData,
              identifiers,
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
      .requiredOption('--explanation <text>', 'why, in words the requester can act on')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { ground: string; explanation: string; json?: boolean },
          command: Command,
        ) => {
          await postEvent(
            Context.of(command),
            id,
            { kind: 'refused', ground: flags.ground, explanation: flags.explanation },
            flags.json,
          )
        },
      ),
    'pocnet case refuse IT-20261128-dd69bafb --ground essential-interests --explanation "…"',
  )

  examples(
    kase
      .command('extend <id>')
      .description('request an extension of a preservation (requester), or grant / refuse one (requested)')
      .option('--reason <text>', 'why (to request or refuse)')
      .option('--days <n>', 'days asked for, or days granted', positiveInt('--days'))
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
              const current = kase.preservation?.current.expiresAt
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
          return postEvent(
            ctx,
            id,
            {
              kind: 'extension-requested',
              reason: flags.reason,
              ...(flags.days === undefined ? {} : { days: flags.days }),
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
      .description('record that the MLA request was submitted (Art. 29(7): preservation continues)')
      .requiredOption('--reference <ref>', 'the MLA request reference')
      .option('--authority <name>', 'the authority it was sent to')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          id: string,
          flags: { reference: string; authority?: string; json?: boolean },
          command: Command,
        ) => {
          await postEvent(
            Context.of(command),
            id,
            {
              kind: 'mla-submitted',
              mlaReference: flags.reference,
              ...(flags.authority === undefined ? {} : { authority: flags.authority }),
            },
            flags.json,
          )
        },
      ),
    'pocnet case mla IT-20261128-dd69bafb --reference "MLA/2026/118" --authority "Ministère de la Justice"',
  )

  textStep(kase, {
    name: 'close',
    kind: 'closed',
    description: 'close the case',
    field: 'reason',
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
        '--country <CC>',
        'the third country whose disclosure to follow up, when the path crossed several (default: the latest)',
      )
      .option('--json', 'print the result as JSON')
      .action(
        async (id: string, flags: { out: string; country?: string; json?: boolean }, command: Command) => {
          const ctx = Context.of(command)
          const { request: form } = await ctx.call(caseRoutes.followUp, {
            params: { id },
            body: flags.country === undefined ? undefined : { country: flags.country.toUpperCase() },
          })
          const to = form.custodian.country ?? '??'
          const { stringify } = await import('yaml')
          await writeFile(
            flags.out,
            `# pocnet follow-up preservation request (Art. 30) to ${to}, linked to case ${id}.\n` +
              `# Review it, then: pocnet request send --to ${to} --type preservation --file ${flags.out}\n` +
              stringify(form, { lineWidth: 0 }),
          )
          if (flags.json) return out.json({ to, file: flags.out, request: form })
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
}

/** Long-polls `GET /events` and prints each event as it comes; rings the bell on a new request at a terminal. */
async function watch(ctx: Context, json: boolean): Promise<void> {
  const bell = process.stdout.isTTY === true
  const now = () => ctx.call(caseRoutes.feed, { query: { waitMs: 0 } })
  // The first call only learns where "now" is: what happened before is in the list above.
  let { cursor, epoch } = await now()
  // with --json, one line without a `type` tells a script that events from now on will be seen
  if (json) out.line(JSON.stringify({ watching: true }))
  else out.line(out.style('dim', 'watching for new events (Ctrl-C to stop)…'))
  /**
   * The daemon keeps its event feed in memory, numbered from its start (its epoch). A new epoch
   * means it restarted: every event it has is one this watch has not shown, so read from 0.
   */
  const restartedSince = (latest: number): boolean => {
    if (latest === epoch) return false
    epoch = latest
    cursor = 0
    if (!json) out.line(out.style('yellow', '(the node restarted: showing its events since)'))
    return true
  }
  let failures = 0
  for (;;) {
    let batch: FeedBatch
    try {
      if (failures > 0) {
        restartedSince((await now()).epoch)
        failures = 0
      }
      batch = await ctx.call(caseRoutes.feed, { query: { after: cursor, waitMs: 25_000 } }, 40_000)
    } catch (e) {
      // a refusal (token, role) will not change by retrying; a daemon restarting will
      if (e instanceof CliError && e.code !== 'ERR_DAEMON_UNREACHABLE') throw e
      failures++
      if (failures > 30) throw e
      if (!json && failures === 1) out.line(out.style('yellow', `(${(e as Error).message}; retrying)`))
      await sleep(2_000)
      continue
    }
    // a restart between two polls: this batch was cut by a cursor of the old epoch
    if (restartedSince(batch.epoch)) continue
    for (const e of batch.events) {
      if (json) out.line(JSON.stringify(e))
      else {
        const colour =
          e.type === 'deadline-missed' || e.type === 'delivery-failed'
            ? 'red'
            : e.type === 'new-request'
              ? 'green'
              : 'cyan'
        out.line(
          `${formatTime(e.at, ctx.zone)}  ${out.style(colour, e.type.padEnd(15))}  ${e.caseId}  ${e.summary}`,
        )
      }
      if (bell && e.type === 'new-request') process.stdout.write('\x07')
    }
    cursor = batch.cursor
  }
}

/**
 * The days of a preservation, every period: "90 days", or "90 + 90 days (extended once)", so an
 * extension does not read as the whole of it.
 */
export function preservedDays(periods: ReadonlyArray<{ grantedDays: number }>): string {
  const days = periods.map((p) => p.grantedDays)
  if (days.length <= 1) return `${days[0] ?? 0} days`
  const times = days.length - 1
  return `${days.join(' + ')} days (extended ${times === 1 ? 'once' : `${times} times`})`
}
