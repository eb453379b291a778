import {
  type DutyView,
  dutyRoutes,
  type Shift,
  type WatchView,
  WEEKDAYS,
  type Weekday,
} from '@pocnet/node/control-client'
import { type Command, InvalidArgumentError } from 'commander'
import { Context } from '../context.ts'
import { UsageError } from '../errors.ts'
import { examples, jsonOption } from '../help.ts'
import { formatTime, out, table } from '../output.ts'

/** "mon-fri", "sat,sun", "all": the weekdays a shift runs, as the roster lists them. */
export function parseDays(text: string): Weekday[] {
  if (text === 'all' || text === 'daily') return [...WEEKDAYS]
  const days = new Set<Weekday>()
  const index = (d: string): number => {
    const i = (WEEKDAYS as readonly string[]).indexOf(d.trim().toLowerCase().slice(0, 3))
    if (i < 0)
      throw new InvalidArgumentError(
        `"${d}" is not a weekday: use ${WEEKDAYS.join(', ')}, ranges like mon-fri, or all`,
      )
    return i
  }
  for (const part of text.split(',')) {
    const [from, to] = part.split('-') as [string, string | undefined]
    const start = index(from)
    const end = to === undefined ? start : index(to)
    // a range may wrap the week: fri-mon
    for (let i = start; ; i = (i + 1) % 7) {
      days.add(WEEKDAYS[i]!)
      if (i === end) break
    }
  }
  return WEEKDAYS.filter((d) => days.has(d))
}

function watchLine(label: string, w: WatchView | null, zone: string): string {
  if (w === null) return `${label}  ${out.style('red', 'no one (no shift runs)')}`
  const backup = w.backup === null ? 'no backup' : `backup ${w.backup}`
  const supervisor = w.supervisor === null ? 'no supervisor' : `supervisor ${w.supervisor}`
  return `${label}  ${out.style('bold', w.officer)} (shift ${w.shift}, ${formatTime(w.from, zone)} – ${formatTime(w.until, zone)}), ${backup}, ${supervisor}`
}

function printDuty(d: DutyView, zone: string): void {
  out.line(watchLine('now ', d.onDuty, zone))
  out.line(watchLine('next', d.next, zone))
  if (d.shifts.length > 0) {
    out.line()
    out.line(
      table([
        ['SHIFT', 'DAYS', 'HOURS', 'ZONE', 'OFFICER', 'BACKUP', 'SUPERVISOR'],
        ...d.shifts.map((s) => [
          s.id,
          s.days.length === 7 ? 'all' : s.days.join(','),
          `${s.start}-${s.end}`,
          s.timeZone,
          s.officer,
          s.backup ?? '-',
          s.supervisor ?? '-',
        ]),
      ]),
    )
  }
  for (const c of d.covers)
    out.line(
      `cover ${c.id}: ${c.person} for ${c.absent}, ${formatTime(c.from, zone)} – ${formatTime(c.until, zone)}`,
    )
  const unreachable = new Set(d.shifts.flatMap((s) => [s.officer, s.backup, s.supervisor]))
  for (const p of d.people) if (p.channels.length > 0) unreachable.delete(p.name)
  unreachable.delete(undefined)
  if (unreachable.size > 0)
    out.line(
      out.style(
        'red',
        `no alert channel for ${[...unreachable].join(', ')}: pocnet duty person <name> --phone <+number>`,
      ),
    )
}

interface SetFlags {
  officer?: string
  backup?: string
  supervisor?: string
  days?: Weekday[]
  start?: string
  end?: string
  zone?: string
}

/** `pocnet duty`: who answers the desk now and next, and the roster's shifts, swaps and covers. */
export function registerDuty(program: Command): void {
  const duty = program
    .command('duty')
    .description('who is on duty now and next; set, swap and cover shifts (operator, supervisor)')
  examples(
    duty,
    'pocnet duty',
    'pocnet duty set day --officer alice --backup bob --supervisor sue --days mon-fri --start 08:00 --end 20:00 --zone Europe/Paris',
    'pocnet duty cover erin --for alice --from 2026-12-24T08:00:00+01:00 --until 2026-12-26T08:00:00+01:00',
  )

  examples(
    duty
      .command('show', { isDefault: true })
      .description('who is on duty now and next, the shifts and the covers')
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const d = await ctx.call(dutyRoutes.show)
        if (flags.json) return out.json(d)
        printDuty(d, ctx.zone)
      }),
    'pocnet duty',
    'pocnet duty show --json',
  )

  examples(
    duty
      .command('set <shift>')
      .description(
        'add a weekly shift, or change the one with this id (an end at or before the start ends the next day)',
      )
      .option('--officer <user>', 'the officer on duty (a user with role contact or supervisor)')
      .option('--backup <user>', 'paged when the officer has not acknowledged in time')
      .option('--supervisor <user>', 'paged at the deadline (a user with role supervisor)')
      .option('--days <days>', 'weekdays: mon-fri, sat,sun, all', parseDays)
      .option('--start <HH:MM>', 'local start time')
      .option('--end <HH:MM>', 'local end time')
      .option('--zone <zone>', 'IANA time zone of the hours, e.g. Europe/Paris')
      .action(async (id: string, { zone, ...flags }: SetFlags, command: Command) => {
        const ctx = Context.of(command)
        const current = (await ctx.call(dutyRoutes.show)).shifts.find((s) => s.id === id)
        const merged: Partial<Shift> = { ...current, id, ...definedOf(flags) }
        if (zone !== undefined) merged.timeZone = zone
        const missing = (['officer', 'days', 'start', 'end', 'timeZone'] as const).filter(
          (k) => merged[k] === undefined,
        )
        if (missing.length > 0)
          throw new UsageError(
            `shift "${id}" is new: give ${missing.map((k) => (k === 'timeZone' ? '--zone' : `--${k}`)).join(', ')}`,
            'e.g. pocnet duty set day --officer alice --days mon-fri --start 08:00 --end 20:00 --zone Europe/Paris',
          )
        const { shift } = await ctx.call(dutyRoutes.setShift, { body: merged as Shift })
        out.line(
          `${out.style('green', '✓')} shift ${shift.id}: ${shift.officer}, ${shift.days.join(',')} ${shift.start}-${shift.end} ${shift.timeZone}`,
        )
      }),
    'pocnet duty set night --officer carol --backup dan --days all --start 20:00 --end 08:00 --zone Europe/Paris',
    'pocnet duty set day --backup bob',
  )

  examples(
    duty
      .command('remove <shift>')
      .description('take a shift off the roster')
      .action(async (id: string, _flags: unknown, command: Command) => {
        await Context.of(command).call(dutyRoutes.removeShift, { params: { id } })
        out.line(`${out.style('green', '✓')} shift ${id} removed`)
      }),
    'pocnet duty remove weekend',
  )

  examples(
    duty
      .command('swap <shift-a> <shift-b>')
      .description('exchange the officers of two shifts')
      .action(async (a: string, b: string, _flags: unknown, command: Command) => {
        const r = await Context.of(command).call(dutyRoutes.swap, { body: { a, b } })
        out.line(`${out.style('green', '✓')} ${a} is now ${r.a}'s, ${b} is now ${r.b}'s`)
      }),
    'pocnet duty swap day night',
  )

  examples(
    duty
      .command('cover <user>')
      .description('let <user> stand in for another in every place they hold, for a time')
      .requiredOption('--for <user>', 'the person away')
      .requiredOption('--from <time>', 'start, a timestamp with its zone')
      .requiredOption('--until <time>', 'end, a timestamp with its zone')
      .action(
        async (person: string, flags: { for: string; from: string; until: string }, command: Command) => {
          const ctx = Context.of(command)
          const { cover } = await ctx.call(dutyRoutes.cover, {
            body: { person, absent: flags.for, from: flags.from, until: flags.until },
          })
          out.line(
            `${out.style('green', '✓')} ${cover.person} covers ${cover.absent} ${formatTime(cover.from, ctx.zone)} – ${formatTime(cover.until, ctx.zone)} (${cover.id})`,
          )
        },
      ),
    'pocnet duty cover erin --for alice --from 2026-12-24T08:00:00+01:00 --until 2026-12-26T08:00:00+01:00',
  )

  examples(
    duty
      .command('person <user>')
      .description("set a person's own alert channels (kept on this node, given only to the notify command)")
      .option('--phone <number>', 'E.164, e.g. +33612345678')
      .option('--email <address>')
      .option('--pager <id>')
      .action(
        async (name: string, flags: { phone?: string; email?: string; pager?: string }, command: Command) => {
          const r = await Context.of(command).call(dutyRoutes.setChannels, {
            body: { name, ...definedOf(flags) },
          })
          out.line(
            `${out.style('green', '✓')} ${r.name}: ${r.channels.length === 0 ? 'no channels' : r.channels.join(', ')}`,
          )
        },
      ),
    'pocnet duty person alice --phone +33612345678 --email alice@desk.example',
  )
}

/** The flags given, without the ones left out. */
function definedOf<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as Partial<T>
}
