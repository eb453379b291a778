import { describe, expect, it } from 'vitest'
import { readAttachments } from '../src/attachments.ts'
import { FormReader } from '../src/problems.ts'

const hash = (c: string) => c.repeat(64)
const transfer = {
  id: 'a'.repeat(32),
  chunkSize: 1024 * 1024,
  chunks: [hash('1'), hash('2')],
  key: 'b'.repeat(64),
}
const file = { name: 'export.bin', sha256: hash('c'), size: 1024 * 1024 + 5, transfer }

function read(attachments: unknown) {
  const reader = new FormReader()
  return { value: readAttachments(reader, { attachments }, ''), problems: reader.problems }
}

describe('attachments of forms and events', () => {
  it('reads one named by hash alone, and one whose bytes travel', () => {
    const byHash = { name: 'headers.eml', sha256: hash('d'), size: 10 }
    expect(read([byHash, file])).toEqual({ value: [byHash, file], problems: [] })
  })

  it('refuses a hash list that does not fit the size and chunk size, naming the field', () => {
    const { problems } = read([{ ...file, size: 3 * 1024 * 1024 }])
    expect(problems).toEqual([
      {
        path: 'attachments[0].transfer.chunks',
        rule: 'consistency',
        message: 'has 2 hashes, but a file of 3145728 bytes in chunks of 1048576 makes 3',
      },
    ])
  })

  it('refuses a bad id, key, chunk size or chunk hash', () => {
    const { problems } = read([
      {
        ...file,
        transfer: { ...transfer, id: 'xyz', key: 'B'.repeat(64), chunkSize: 10, chunks: [hash('1'), 'no'] },
      },
    ])
    expect(problems.map((p) => p.path)).toEqual([
      'attachments[0].transfer.id',
      'attachments[0].transfer.key',
      'attachments[0].transfer.chunkSize',
      'attachments[0].transfer.chunks[1]',
    ])
  })

  it('refuses the same transfer id twice in one message', () => {
    expect(read([file, file]).problems).toEqual([
      { path: 'attachments', rule: 'consistency', message: 'names the same transfer id twice' },
    ])
  })
})
