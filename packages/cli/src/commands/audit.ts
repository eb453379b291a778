import { resolve } from 'node:path'
import { toHex } from '@pocnet/crypto'
import {
  BundleRejectedError,
  type DirectionReport,
  NotReconcilableError,
  type ReconciledLedger,
  type ReconcilePin,
  type ReconcileReport,
  reconcileBundles,
} from '@pocnet/ledger'
import { type AuditReport, ledgerRoutes } from '@pocnet/node/control-client'
import { Argument, type Command } from 'commander'
import { Context } from '../context.ts'
import { CliError } from '../errors.ts'
import { examples, jsonOption, nonNegativeInt } from '../help.ts'
import { err, formatTime, out, table } from '../output.ts'
import { auditPeriod } from './audit-period.ts'
import { countryRows } from './drills.ts'
import { progressBar, rosterPinOf } from './ledger.ts'

function minutes(m: number | null): string {
  if (m === null) return '-'
  return m >= 120 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m}m`
}

function printAudit(r: AuditReport, zone: string): void {
  out.line(out.style('bold', `audit report of ${r.country}, ${formatTime(r.generatedAt, zone)}`))
  if (r.period.from !== null || r.period.to !== null)
    out.line(
      `cases opened from ${r.period.from === null ? 'the start' : formatTime(r.period.from, zone)} (inclusive) to ${r.period.to === null ? 'now' : formatTime(r.period.to, zone)} (exclusive)`,
    )
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
  out.line()
  out.line(
    `reachability drills: ${r.drills.length === 0 ? 'none sent' : `${r.drills.length} countries drilled`}`,
  )
  if (r.drills.length > 0) out.line(table(countryRows(r.drills, zone)))
}

/**
 * What each country's ledger must carry, from the data directory's roster (as `ledger verify
 * --country`): no pin without a readable roster, and the bundles' own keys are then reported.
 */
async function rosterPins(
  ctx: Context,
): Promise<((country: string) => Promise<ReconcilePin | undefined>) | undefined> {
  if ((await ctx.localRoster()) === undefined) return undefined
  return (country) => rosterPinOf(ctx, country)
}

/** `3 matched (1 pending, 2 not yet exported)`: what became of one direction's messages. */
function directionSummary(d: DirectionReport): string {
  const notes = [
    [d.pending.length, `in ${d.from}'s outbox`],
    [d.expired.length, 'expired undelivered'],
    [d.rejected.length, `refused by ${d.to}`],
    [d.outsideOverlap.length, 'outside both exports'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}`)
  return `${d.from}→${d.to} ${d.matched} matched${notes.length === 0 ? '' : ` (${notes.join(', ')})`}`
}

function ledgerJson(l: ReconciledLedger) {
  return {
    path: l.path,
    country: l.country,
    origin: l.origin,
    publicKey: toHex(l.publicKey),
    pinned: l.pinned,
    entries: l.entries,
    root: toHex(l.root),
    begins: new Date(l.begins).toISOString(),
    exportedAt: new Date(l.exportedAt).toISOString(),
    blobBytes: l.blobBytes,
  }
}

function reportJson(r: ReconcileReport) {
  return {
    ok: r.ok,
    network: r.network,
    a: ledgerJson(r.a),
    b: ledgerJson(r.b),
    overlap: { from: new Date(r.overlap.from).toISOString(), to: new Date(r.overlap.to).toISOString() },
    directions: r.directions,
    mismatches: r.mismatches,
  }
}

/** Reconciles two bundles; library errors become CLI errors with their hint. */
async function reconcile(
  a: string,
  b: string,
  options: Parameters<typeof reconcileBundles>[2],
): Promise<ReconcileReport> {
  try {
    return await reconcileBundles(a, b, options)
  } catch (e) {
    if (e instanceof BundleRejectedError || e instanceof NotReconcilableError)
      throw new CliError(e.code, e.message, { hint: e.hint })
    const { code, path } = e as NodeJS.ErrnoException
    if (code === 'ENOENT' || code === 'EISDIR')
      throw new CliError(
        'ERR_NO_BUNDLE',
        `${path ?? 'a bundle'}: ${code === 'ENOENT' ? 'no such file' : 'a directory, not a bundle'}`,
        {
          hint: 'give two export bundles, one written on each node by `pocnet ledger export --out <file>`',
        },
      )
    throw e
  }
}

/** The auditor's oversight commands: `pocnet audit …`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('oversight reports (auditor)')
  examples(audit, 'pocnet audit report', 'pocnet audit reconcile it-2026-11.pnlb fr-2026-11.pnlb')
  examples(
    audit
      .command('report')
      .description(
        'counts per country and type, acknowledgement and answer times (median, worst), expiring preservations, missed deadlines',
      )
      .option(
        '--from <when>',
        'only cases opened, and alerts raised, from then (inclusive): a date (midnight in your zone) or a timestamp with offset',
      )
      .option('--to <when>', 'and before then (exclusive), written as --from')
      .addOption(jsonOption())
      .action(async (flags: { from?: string; to?: string; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const period = auditPeriod(flags, ctx.zone)
        const report = await ctx.call(ledgerRoutes.auditReport, { query: period })
        if (flags.json) return out.json(report)
        printAudit(report, ctx.zone)
      }),
    'pocnet audit report',
    'pocnet audit report --from 2026-11-01 --to 2026-12-01 --json > report-2026-11.json',
  )

  examples(
    audit
      .command('reconcile')
      .description(
        "match two countries' export bundles, offline: every message one recorded as sent to the other was received, with the same bytes, and its receipt is the other's",
      )
      .addArgument(new Argument('<A>', "one country's export bundle"))
      .addArgument(new Argument('<B>', "the other country's export bundle"))
      .option(
        '--threads <n>',
        'worker threads the verifier uses (default: one per CPU; 0: none)',
        nonNegativeInt('--threads'),
      )
      .addOption(jsonOption())
      .addHelpText(
        'after',
        '\nBoth bundles are verified first, pinned to the roster in the data directory when there is one.\n' +
          'Messages to or from other countries are ignored; a message still in the outbox, or outside the span\n' +
          'both exports cover, is reported apart and is not a mismatch. Exit codes: 0 all match, 1 a mismatch\n' +
          'or a bundle refused, 2 usage error.',
      )
      .action(async (a: string, b: string, flags: { threads?: number; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const pin = await rosterPins(ctx)
        const bars = { A: progressBar(), B: progressBar() }
        const report = await reconcile(resolve(a), resolve(b), {
          ...(pin === undefined ? {} : { pin }),
          ...(flags.threads === undefined ? {} : { threads: flags.threads }),
          ...(flags.json ? {} : { onProgress: (which, p) => bars[which](p) }),
        })
        const { a: la, b: lb, directions, mismatches } = report
        const failed = () =>
          new CliError(
            'ERR_RECONCILE_MISMATCH',
            `${mismatches.length} message(s) do not reconcile between ${la.country} and ${lb.country}`,
            {
              hint: 'a message in flight at an export shows as no-receipt: export both again later to judge it; `pocnet ledger log --country CC` on each node shows the entries',
            },
          )
        if (flags.json) {
          out.json(reportJson(report))
          if (!report.ok) throw failed()
          return
        }
        if (!la.pinned || !lb.pinned)
          err.line(
            `${err.style('yellow', '!')} not pinned to a roster: the keys are the bundles' own, compare them with the roster (${la.country} ${toHex(la.publicKey)}, ${lb.country} ${toHex(lb.publicKey)})`,
          )
        const counts = directions.map(directionSummary).join(', ')
        if (report.ok) {
          out.line(`${out.style('green', '✓')} ${la.country} and ${lb.country} reconcile: ${counts}`)
          return
        }
        out.line(
          `${out.style('red', '✗')} ${la.country} and ${lb.country} do not reconcile: ${mismatches.length} mismatch(es); ${counts}`,
        )
        out.line(
          table([
            ['FROM', 'TO', 'MESSAGE', 'MISMATCH', 'WHY'],
            ...mismatches.map((m) => [m.from, m.to, m.messageId, m.kind, m.reason]),
          ]),
        )
        throw failed()
      }),
    'pocnet audit reconcile it-2026-11.pnlb fr-2026-11.pnlb',
    'pocnet audit reconcile it.pnlb fr.pnlb --json > reconcile-it-fr.json',
  )
}
