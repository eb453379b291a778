import type { KnownCountryView } from '@pocnet/node/control-client'
import { formatTime, out, table } from '../output.ts'

/** `pocnet directory list`: each country, its record and where it came from on this call. */
export function directoryTable(countries: readonly KnownCountryView[], zone: string): string {
  const rows = table([
    ['COUNTRY', 'NAME', 'MEMBER', 'RECORD', 'FROM', 'EXPIRES', 'CONNECTED'],
    ...countries.map((c) => [
      c.country,
      c.name ?? '-',
      c.member ? 'yes' : 'no',
      c.seq === undefined || c.seq === null ? 'none' : `seq ${c.seq}${c.fresh ? '' : ' (stale)'}`,
      c.record === 'none' ? '-' : c.record,
      formatTime(c.expiresAt, zone),
      c.connected ? 'yes' : 'no',
    ]),
  ])
  const missing = countries.filter((c) => c.record === 'none' && c.problem !== undefined)
  return [rows, ...missing.map((c) => out.style('yellow', `${c.country}: no record: ${c.problem}`))].join(
    '\n',
  )
}
