import { stripVTControlCharacters } from 'node:util'
import { out } from './output.ts'

/** The width a terminal page is read at: tables are cut to it, never wrapped. */
export const PAGE_WIDTH = 100

const GAP = 2

/** What a cell shows on screen, colour codes aside. */
export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length
}

/** `text` cut to `width` columns with an ellipsis; a cut cell loses its colour. */
export function ellipsis(text: string, width: number): string {
  if (visibleLength(text) <= width) return text
  const plain = stripVTControlCharacters(text)
  return width <= 1 ? plain.slice(0, width) : `${plain.slice(0, width - 1)}…`
}

export interface FitOptions {
  /** The most columns a line may take (default PAGE_WIDTH). */
  width?: number
  /** The columns that give way when the table is too wide, first the first, each to its minimum. */
  shrink: ReadonlyArray<{ column: number; min: number }>
}

/**
 * Like `table` (padded columns, bold header), but no wider than `width`: the columns named in
 * `shrink` are narrowed in turn and their cells cut with an ellipsis. Widths are measured without
 * colour codes, so a red deadline pads like a plain one.
 */
export function fitTable(rows: readonly string[][], options: FitOptions): string {
  if (rows.length === 0) return ''
  const limit = options.width ?? PAGE_WIDTH
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => visibleLength(r[i] ?? ''))))
  let excess = widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1) - limit
  for (const { column, min } of options.shrink) {
    if (excess <= 0) break
    const give = Math.min(excess, Math.max(widths[column]! - min, 0))
    widths[column]! -= give
    excess -= give
  }
  return rows
    .map((r, n) => {
      const line = r
        .map((cell, i) => {
          const fitted = ellipsis(cell, widths[i]!)
          return i === r.length - 1 ? fitted : fitted + ' '.repeat(widths[i]! - visibleLength(fitted))
        })
        .join(' '.repeat(GAP))
        .trimEnd()
      // the minimums may still not fit: the line is cut, never wrapped
      const cut = ellipsis(line, limit)
      return n === 0 ? out.style('bold', cut) : cut
    })
    .join('\n')
}
