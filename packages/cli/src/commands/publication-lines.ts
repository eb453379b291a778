import type { Health } from '@pocnet/node/control-client'
import { formatTime, out } from '../output.ts'

/**
 * The lines of `pocnet status` about this node's own directory record: a warning first when it
 * is not published (a node missing from the directory gets no requests), then the `directory` row.
 */
export function publicationLines(p: Health['directory'], zone: string): { warning?: string; row: string } {
  const last =
    p.lastPublished === null
      ? 'never published since start'
      : `last published seq ${p.lastPublished.seq} at ${formatTime(p.lastPublished.at, zone)} (stored by ${p.lastPublished.storedBy} peer${p.lastPublished.storedBy === 1 ? '' : 's'})`
  switch (p.state) {
    case 'pending':
      return { row: 'publishing (first attempt under way)' }
    case 'published':
      return { row: last.replace(/^last published/, 'published') }
    case 'unstored':
      return { row: out.style('yellow', `issued but stored by no peer: ${p.problem?.fix ?? ''}`) }
    case 'not-published':
      return {
        warning: out.style(
          'red',
          `WARNING: not in the directory since ${formatTime(p.problem?.since, zone)}, so no member can send this node requests: ${p.problem?.message ?? 'reason unknown'}`,
        ),
        row: `${out.style('red', `not published (${p.problem?.reason ?? 'unknown'})`)}; ${last}`,
      }
  }
}
