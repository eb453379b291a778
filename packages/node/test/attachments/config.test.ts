import { describe, expect, it } from 'vitest'
import {
  attachmentsConfigOf,
  attachmentsConfigProblems,
  DEFAULT_ATTACHMENTS,
} from '../../src/attachments/config.ts'

describe('attachments config', () => {
  it('takes each missing setting at its default', () => {
    expect(attachmentsConfigOf({})).toEqual(DEFAULT_ATTACHMENTS)
    expect(attachmentsConfigOf({ attachments: { quotaBytes: 5 } }).quotaBytes).toBe(5)
    expect(attachmentsConfigOf({ attachments: { quotaBytes: 5 } }).maxFileBytes).toBe(
      DEFAULT_ATTACHMENTS.maxFileBytes,
    )
  })

  it('names each wrong setting and its rule', () => {
    expect(attachmentsConfigProblems({ quotaBytes: 10 })).toEqual([])
    expect(attachmentsConfigProblems([])).toEqual([
      { path: 'attachments', message: expect.stringMatching(/object/) },
    ])
    expect(attachmentsConfigProblems({ quota: 1, maxFileBytes: -1, chunkBytes: 100 })).toEqual([
      { path: 'attachments.quota', message: expect.stringMatching(/not a setting/) },
      { path: 'attachments.maxFileBytes', message: 'must be a positive whole number (bytes)' },
      { path: 'attachments.chunkBytes', message: expect.stringMatching(/between 16384 and 2097152/) },
    ])
    expect(attachmentsConfigProblems({ unsentUploadTtlMs: 0 })).toEqual([
      { path: 'attachments.unsentUploadTtlMs', message: 'must be a positive whole number (milliseconds)' },
    ])
  })
})
