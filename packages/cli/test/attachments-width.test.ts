import { stripVTControlCharacters } from 'node:util'
import type { AttachmentStatus } from '@pocnet/node/control-client'
import { describe, expect, it } from 'vitest'
import { attachmentsTable } from '../src/commands/cases/attachments-table.ts'

// `pocnet case attachments` is read on a 100-column page, like the inbox: cut, never wrapped; an
// error, which the table cannot hold, is written out in full below it.

const widest = (text: string) => Math.max(...text.split('\n').map((l) => stripVTControlCharacters(l).length))
const MiB = 1024 * 1024

function status(over: Partial<AttachmentStatus> = {}): AttachmentStatus {
  return {
    id: '0123456789abcdef0123456789abcdef',
    name: 'subscriber-records-2026-11-28-full-export-with-traffic-data.csv',
    direction: 'received',
    size: 200 * MiB,
    sha256: 'ab'.repeat(32),
    state: 'fetching',
    chunks: { done: 124, total: 200 },
    bytes: { done: 124 * MiB, total: 200 * MiB },
    ...over,
  }
}

describe('the attachments of a case on a 100-column page', () => {
  it('keeps every line within 100 columns, the id whole and the name cut', () => {
    const error = 'the message carrying it was refused by HU: over-quota'
    const text = attachmentsTable([
      status(),
      status({ id: 'fe'.repeat(16), name: 'log.txt', direction: 'sent', state: 'failed', error }),
      status({ id: undefined, name: 'photo.jpg', state: 'by-hash', chunks: { done: 0, total: 0 } }),
    ])
    expect(widest(text)).toBeLessThanOrEqual(100)
    const lines = text.split('\n').map(stripVTControlCharacters)
    expect(lines[0]).toMatch(/^ID\s+NAME\s+DIR\s+SIZE\s+PROGRESS\s+STATE$/)
    expect(lines[1]).toMatch(
      /^0123456789abcdef0123456789abcdef {2}subscriber-\S*… +received {2}200 MiB {2}124\/200 \(62%\) {2}fetching$/,
    )
    expect(lines[2]).toMatch(/^fefefefefefefefefefefefefefefefe {2}log\.txt +sent .*failed \(see below\)$/)
    expect(lines[3]).toMatch(/^- +photo\.jpg .*by hash only +by-hash$/)
    expect(lines.slice(5)).toEqual([`fefefefefefefefefefefefefefefefe: ${error}`])
  })

  it('wraps a long error between words, within 100 columns', () => {
    const error = `the chunks make a file whose SHA-256 is ${'c'.repeat(64)}, not ${'d'.repeat(64)}`
    const text = attachmentsTable([status({ state: 'failed', error })])
    expect(widest(text)).toBeLessThanOrEqual(100)
    const below = text.split('\n').slice(3)
    expect(below.length).toBeGreaterThan(1)
    expect(below.map((l, i) => (i === 0 ? l : l.slice(2))).join(' ')).toBe(
      `0123456789abcdef0123456789abcdef: ${error}`,
    )
  })
})
