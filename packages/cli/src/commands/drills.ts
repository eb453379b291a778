import {
  type DrillCountrySummary,
  type DrillsOverview,
  drillRoutes,
  type SentDrillView,
} from '@pocnet/node/control-client'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import { Argument, type Command, InvalidArgumentError } from 'commander'
import { Context } from '../context.ts'
import { CliError } from '../errors.ts'
import { examples, jsonOption } from '../help.ts'
import { formatTime, out, table } from '../output.ts'

/** A span of milliseconds for people: "0.4s", "42s", "12m", "2h 05m". */
export function span(ms: number | null): string {
  if (ms === null) return '-'
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`
  const minutes = Math.round(ms / 60_000)
  return minutes < 120
    ? `${minutes}m`
    : `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`
}

/** The human side of a drill: acknowledged (after how long), refused, or still awaited. */
function humanAnswer(d: SentDrillView, zone: string): string {
  if (d.acknowledgedAt !== null) return `${formatTime(d.acknowledgedAt, zone)} (${span(d.acknowledgementMs)})`
  if (d.refusedAt !== null) return out.style('red', `REFUSED ${formatTime(d.refusedAt, zone)}`)
  if (d.failed !== null) return out.style('red', `not delivered: ${d.failed}`)
  return out.style('yellow', 'awaiting acknowledgement')
}

function machineReceipt(d: SentDrillView, zone: string): string {
  if (d.receiptAt !== null)
    return `${formatTime(d.receiptAt, zone, { seconds: true })} (${span(d.receiptMs)})`
  return d.failed === null ? out.style('yellow', 'awaiting receipt') : out.style('red', d.failed)
}

/** One row a country: its latest drill's two times, then the medians over every drill sent to it. */
export function countryRows(countries: readonly DrillCountrySummary[], zone: string): string[][] {
  return [
    [
      'COUNTRY',
      'DRILLS',
      'LATEST SENT',
      'MACHINE RECEIPT',
      'HUMAN ACKNOWLEDGEMENT',
      'MEDIAN RECEIPT',
      'MEDIAN ACK',
    ],
    ...countries.map((c) => [
      c.country,
      String(c.sent),
      formatTime(c.latest.sentAt, zone),
      machineReceipt(c.latest, zone),
      humanAnswer(c.latest, zone),
      span(c.receipt.medianMs),
      span(c.acknowledgement.medianMs),
    ]),
  ]
}

function printOverview(o: DrillsOverview, zone: string, history: boolean): void {
  const schedule =
    o.schedule === null
      ? 'no scheduled rounds (drills.every in config.json); run one with `pocnet drills run`'
      : `a round every ${span(o.schedule.intervalMs)}${o.schedule.hours === null ? '' : ` between ${o.schedule.hours.from} and ${o.schedule.hours.to} ${o.schedule.hours.timeZone}`}, next ${formatTime(o.schedule.nextRoundAt, zone)}`
  out.line(schedule)
  if (!o.accepting)
    out.line(
      out.style(
        'yellow',
        'this node refuses drills (drills.accept: false): each is answered with a signed refusal',
      ),
    )
  out.line()
  if (o.countries.length === 0) out.line('no drills sent yet')
  else out.line(table(countryRows(o.countries, zone)))
  if (history && o.sent.length > 0) {
    out.line()
    out.line(
      table([
        ['DRILL', 'TO', 'SENT', 'BY', 'MACHINE RECEIPT', 'HUMAN ACKNOWLEDGEMENT'],
        ...[...o.sent]
          .reverse()
          .map((d) => [
            d.id,
            d.to,
            formatTime(d.sentAt, zone),
            d.by,
            machineReceipt(d, zone),
            humanAnswer(d, zone),
          ]),
      ]),
    )
  }
  const waiting = o.received.filter((d) => d.answer === null)
  if (waiting.length > 0) {
    out.line()
    out.line(out.style('bold', `${waiting.length} drill(s) received, awaiting your acknowledgement:`))
    for (const d of waiting)
      out.line(
        `  ${d.id}  from ${d.from}, received ${formatTime(d.receivedAt, zone)}  → pocnet drills ack ${d.id.slice(0, 8)}`,
      )
  }
}

function countryOperand(value: string, previous: string[] | undefined): string[] {
  const code = value.toUpperCase()
  if (!isCountryCode(code)) throw new InvalidArgumentError(`${value}: must be ${COUNTRY_CODE_RULE}, like FR`)
  return [...(previous ?? []), code]
}

/** `pocnet drills …`: reachability drills between members (docs/operations.md, Drills). */
export function registerDrills(program: Command): void {
  const drills = program
    .command('drills')
    .description(
      'reachability drills: per country, when its node receipted and when its officer acknowledged',
    )
  examples(drills, 'pocnet drills', 'pocnet drills run FR DE', 'pocnet drills ack 3f9c01ab')

  examples(
    drills
      .command('list', { isDefault: true })
      .description(
        'per country drilled: the latest machine receipt and human acknowledgement, and the medians',
      )
      .option('--history', 'every drill sent, newest first')
      .addOption(jsonOption())
      .action(async (flags: { history?: boolean; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const overview = await ctx.call(drillRoutes.overview)
        if (flags.json) return out.json(overview)
        printOverview(overview, ctx.zone, flags.history === true)
      }),
    'pocnet drills',
    'pocnet drills list --history',
    "pocnet drills --json | jq '.countries[] | {country, ack: .latest.acknowledgedAt}'",
  )

  examples(
    drills
      .command('run')
      .description(
        'send a drill now to the countries named (default: drills.countries, else every other member)',
      )
      .addArgument(new Argument('[CC...]', 'member countries to drill').argParser(countryOperand))
      .addOption(jsonOption())
      .action(async (countries: string[] | undefined, flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { launches } = await ctx.call(drillRoutes.run, {
          body: countries === undefined || countries.length === 0 ? {} : { countries },
        })
        if (flags.json) return out.json({ launches })
        for (const l of launches)
          out.line(
            l.drillId === null
              ? `${out.style('red', '✗')} ${l.country}: not sent (${l.error})`
              : `${out.style('green', '✓')} drill ${l.drillId} queued for ${l.country}`,
          )
        if (launches.length > 0 && launches.every((l) => l.drillId === null))
          throw new CliError('ERR_DRILL_NOT_SENT', 'no drill could be sent', {
            hint: '`pocnet directory list` shows which members this node has a record of; try again once they are found',
          })
        if (launches.some((l) => l.drillId !== null))
          out.line('follow the receipts and acknowledgements with `pocnet drills`')
      }),
    'pocnet drills run',
    'pocnet drills run FR DE',
  )

  examples(
    drills
      .command('ack')
      .description('acknowledge a drill received, as the officer on duty: a signed acknowledgement goes back')
      .addArgument(new Argument('<id>', 'the drill id, or its first 8 characters or more'))
      .addOption(jsonOption())
      .action(async (id: string, flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const answered = await ctx.call(drillRoutes.acknowledge, { params: { id } })
        if (flags.json) return out.json(answered)
        out.line(`${out.style('green', '✓')} drill ${answered.id} from ${answered.from} acknowledged`)
      }),
    'pocnet drills ack 3f9c01ab',
  )
}
