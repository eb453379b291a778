import { type AuditReport, ledgerRoutes } from '@pocnet/node/client'
import type { Command } from 'commander'
import { Context } from '../context.ts'
import { examples, jsonOption } from '../help.ts'
import { formatTime, out, table } from '../output.ts'

function minutes(m: number | null): string {
  if (m === null) return '-'
  return m >= 120 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m}m`
}

function printAudit(r: AuditReport, zone: string): void {
  out.line(out.style('bold', `audit report of ${r.country}, ${formatTime(r.generatedAt, zone)}`))
  out.line(`${r.cases} case(s), ledger of ${r.ledgerSize} entries`)
  out.line()
  out.line(
    table([
      ['COUNTRY', 'WE ARE', 'TYPE', 'CASES'],
      ...r.byCountryAndType.map((x) => [x.counterpart, x.side, x.type, String(x.count)]),
    ]),
  )
  out.line()
  out.line(
    `acknowledgement  ${r.acknowledgement.count} measured, median ${minutes(r.acknowledgement.medianMinutes)}, worst ${minutes(r.acknowledgement.worstMinutes)}`,
  )
  out.line(
    `answer           ${r.answer.count} measured, median ${minutes(r.answer.medianMinutes)}, worst ${minutes(r.answer.worstMinutes)}`,
  )
  const expiring = r.preservationsExpiringWithin14Days
  out.line(`preservations expiring within 14 days: ${expiring.length}`)
  for (const x of expiring)
    out.line(
      `  ${x.caseId}  ${formatTime(x.expiresAt, zone)}  ${x.mlaSubmitted ? 'MLA submitted' : out.style('red', 'no MLA yet')}`,
    )
  const breaches = r.deadlineBreaches
  out.line(`deadline breaches: ${breaches.length}`)
  for (const b of breaches)
    out.line(
      `  ${b.caseId}  ${b.alert}  due ${formatTime(b.dueAt, zone)}, raised ${formatTime(b.raisedAt, zone)}`,
    )
}

/** The auditor's oversight commands: `pocnet audit …`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('oversight reports (auditor)')
  examples(audit, 'pocnet audit report')
  examples(
    audit
      .command('report')
      .description(
        'counts per country and type, acknowledgement and answer times (median, worst), expiring preservations, missed deadlines',
      )
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const report = await ctx.call(ledgerRoutes.auditReport)
        if (flags.json) return out.json(report)
        printAudit(report, ctx.zone)
      }),
    'pocnet audit report',
    'pocnet audit report --json > report-2026-11.json',
  )
}
