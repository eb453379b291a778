import { byteSize } from '@pocnet/crypto/bounded-file'
import type { AttachmentStatus } from '@pocnet/node/control-client'
import { fitTable, PAGE_WIDTH } from '../../fit-table.ts'

/** How far a transfer went, in full: for messages. */
export function progressText(a: AttachmentStatus): string {
  if (a.state === 'by-hash') return 'by hash only'
  return `${a.chunks.done}/${a.chunks.total} chunks, ${byteSize(a.bytes.done)} of ${byteSize(a.bytes.total)}`
}

/** How far a transfer went, in a table cell: the SIZE column beside it gives the bytes. */
function progressCell(a: AttachmentStatus): string {
  if (a.state === 'by-hash') return 'by hash only'
  const { done, total } = a.chunks
  return `${done}/${total} (${total === 0 ? 100 : Math.floor((100 * done) / total)}%)`
}

/** `text` in lines of at most `width` columns, broken between words, the lines after the first indented. */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`
    if (line !== '' && next.length > width) {
      lines.push(line)
      line = `${indent}${word}`
    } else line = next
  }
  return [...lines, line]
}

/**
 * `pocnet case attachments`: one row an attachment, no wider than a 100-column page (the name
 * gives way first, cut with an ellipsis; the id, which `case fetch` takes, never does), then each
 * error in full, wrapped, below the table.
 */
export function attachmentsTable(list: readonly AttachmentStatus[]): string {
  const table = fitTable(
    [
      ['ID', 'NAME', 'DIR', 'SIZE', 'PROGRESS', 'STATE'],
      ...list.map((a) => [
        a.id ?? '-',
        a.name,
        a.direction,
        byteSize(a.size),
        progressCell(a),
        a.error === undefined ? a.state : `${a.state} (see below)`,
      ]),
    ],
    { shrink: [{ column: 1, min: 12 }] },
  )
  const errors = list.flatMap((a) =>
    a.error === undefined ? [] : wrap(`${a.id ?? a.name}: ${a.error}`, PAGE_WIDTH, '  '),
  )
  return errors.length === 0 ? table : `${table}\n\n${errors.join('\n')}`
}
