import { styleText } from 'node:util'
import { fixedOffsetZoneProblem, isTimeZone } from '@pocnet/protocol/formats'
import { UsageError } from './errors.ts'

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan'

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colourEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined
}

export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return colourEnabled(stream) ? styleText(style, text, { validateStream: false }) : text
}

/** Writes to stdout; `out.style` colours for stdout. */
export const out = {
  line(text = ''): void {
    process.stdout.write(`${text}\n`)
  },
  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  },
  style(style: Style, text: string): string {
    return paint(process.stdout, style, text)
  },
}

export const err = {
  line(text = ''): void {
    process.stderr.write(`${text}\n`)
  },
  style(style: Style, text: string): string {
    return paint(process.stderr, style, text)
  },
}

/** Pads columns to their widest cell; the first row is the header. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return ''
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows
    .map((r, n) => {
      const line = r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()
      return n === 0 ? out.style('bold', line) : line
    })
    .join('\n')
}

/**
 * The zone people see times in: --tz, else TZ, else the system's. A --tz that is not a zone is a
 * usage error (exit 2); a TZ that is no IANA name Intl knows (`:/etc/localtime`, a bare offset, a
 * typo) is passed over for the zone the system resolves.
 */
export function displayZone(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined) {
    if (!isTimeZone(explicit))
      throw new UsageError(
        `--tz ${explicit} is not a time zone`,
        'write an IANA name, like Europe/Paris or America/New_York, or UTC',
      )
    const fixed = fixedOffsetZoneProblem(explicit)
    if (fixed !== undefined) throw new UsageError(`--tz ${fixed}`)
    return explicit
  }
  if (env.TZ !== undefined && env.TZ !== '' && isTimeZone(env.TZ)) return env.TZ
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC'
}

/**
 * A UTC instant (ms or ISO text) shown in `zone`, with the zone named: "2026-11-28 14:03 Europe/Paris".
 * Times stay UTC on the wire and in the ledger; only people see zoned times.
 */
export function formatTime(value: unknown, zone: string, options: { seconds?: boolean } = {}): string {
  if (value === null || value === undefined || value === '') return '-'
  const ms = typeof value === 'number' ? value : Date.parse(String(value))
  if (!Number.isFinite(ms)) return String(value)
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds === true && { second: '2-digit' }),
    hourCycle: 'h23',
  }).formatToParts(new Date(ms))
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '??'
  const clock = `${get('hour')}:${get('minute')}${options.seconds === true ? `:${get('second')}` : ''}`
  return `${get('year')}-${get('month')}-${get('day')} ${clock} ${zone}`
}

/**
 * A ledger entry's detail as one line of JSON, with its times (`…At` fields holding milliseconds
 * since the epoch) shown in `zone` to the second, as an auditor reads them beside the entry's own.
 */
export function formatDetail(detail: Record<string, unknown>, zone: string): string {
  return JSON.stringify(detail, (key, value) =>
    key.endsWith('At') && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
      ? formatTime(value, zone, { seconds: true })
      : value,
  )
}

/** "in 3h 20m" / "2d 4h ago", for deadlines. */
export function relative(value: unknown, now = Date.now()): string {
  if (value === null || value === undefined || value === '') return ''
  const ms = typeof value === 'number' ? value : Date.parse(String(value))
  if (!Number.isFinite(ms)) return ''
  const delta = ms - now
  const abs = Math.abs(delta)
  const d = Math.floor(abs / 86_400_000)
  const h = Math.floor((abs % 86_400_000) / 3_600_000)
  const m = Math.floor((abs % 3_600_000) / 60_000)
  const text = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`
  return delta >= 0 ? `in ${text}` : `${text} ago`
}

/** Renders any JSON value as indented "key: value" lines, for the human form of generic answers. */
export function describe(value: unknown, indent = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${indent}${String(value)}`]
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}(none)`]
    return value.flatMap((item) => {
      if (item === null || typeof item !== 'object') return [`${indent}- ${String(item)}`]
      const [first, ...rest] = describe(item, `${indent}  `)
      return [`${indent}- ${(first ?? '').trimStart()}`, ...rest]
    })
  }
  return Object.entries(value).flatMap(([k, v]) => {
    if (v === null || typeof v !== 'object') return [`${indent}${k}: ${String(v)}`]
    if (Array.isArray(v) && v.length === 0) return [`${indent}${k}: (none)`]
    return [`${indent}${k}:`, ...describe(v, `${indent}  `)]
  })
}
