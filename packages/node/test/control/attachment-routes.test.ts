import { describe, expect, it } from 'vitest'
import { ControlApiError } from '../../src/control/errors.ts'
import { attachmentRoutes } from '../../src/control/routes/attachments.ts'

function raw(r: { params?: Record<string, string>; body?: unknown }) {
  return { params: r.params ?? {}, query: new URLSearchParams(), body: r.body }
}

function refusal(run: () => unknown): string {
  try {
    run()
  } catch (e) {
    expect(e).toBeInstanceOf(ControlApiError)
    return (e as Error).message
  }
  throw new Error('not refused')
}

describe('attachment routes', () => {
  it('take an upload, its chunks and the reads of a case, naming each wrong field and its rule', () => {
    expect(attachmentRoutes.begin.parse(raw({ body: { name: 'a.pdf', size: 3 } }))).toEqual({
      name: 'a.pdf',
      size: 3,
    })
    expect(refusal(() => attachmentRoutes.begin.parse(raw({ body: { name: 'a.pdf', size: -1 } })))).toBe(
      'size: must be a whole number of bytes, 0 or more',
    )
    const id = 'a'.repeat(32)
    expect(attachmentRoutes.chunk.parse(raw({ params: { id, index: '2' }, body: { data: 'AAEC' } }))).toEqual(
      { id, index: 2, data: Buffer.from([0, 1, 2]) },
    )
    expect(
      refusal(() =>
        attachmentRoutes.chunk.parse(raw({ params: { id: 'x', index: '0' }, body: { data: '' } })),
      ),
    ).toBe('id: must be an attachment id: 32 lowercase hexadecimal characters')
    expect(
      refusal(() => attachmentRoutes.read.parse(raw({ params: { id: 'C', attachment: id, index: '-1' } }))),
    ).toBe('index: must be a whole number, 0 or more')
  })
})
