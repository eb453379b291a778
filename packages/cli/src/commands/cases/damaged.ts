import type { DamagedCase, DamagedEntry } from '@pocnet/node/control-client'
import { out, table } from '../../output.ts'

/** One unreadable message of a case: which, its ledger entry, and why. */
export function damagedEntryText(e: DamagedEntry): string {
  const what = e.messageKind === 'case-request' ? 'request' : 'step'
  const way = e.entryKind === 'message-sent' ? 'sent' : 'received'
  return `${what} ${way} (ledger entry ${e.seq}) cannot be read: ${e.problem}`
}

/** The damaged cases under the inbox: each case, its counterpart, and what cannot be read. */
export function damagedTable(damaged: readonly DamagedCase[]): string {
  return [
    out.style(
      'red',
      `damaged: ${damaged.length} case${damaged.length === 1 ? '' : 's'} with messages that cannot be read`,
    ),
    table([
      ['CASE', 'WITH', 'SIDE', 'STATUS', 'WHAT CANNOT BE READ'],
      ...damaged.map((d) => [
        d.id,
        d.counterpart,
        d.side ?? '-',
        d.held ? 'damaged (shown without them)' : 'damaged',
        d.entries.map(damagedEntryText).join('; '),
      ]),
    ]),
  ].join('\n')
}
