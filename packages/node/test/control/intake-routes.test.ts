import { describe, expect, it } from 'vitest'
import type { RawRequest } from '../../src/control/contract.ts'
import { ControlApiError, intakeRoutes } from '../../src/index.ts'

/** A call's raw parts, as the server hands them to a route's `parse`. */
function raw(parts: { params?: Record<string, string>; query?: string; body?: unknown } = {}): RawRequest {
  return { params: parts.params ?? {}, query: new URLSearchParams(parts.query ?? ''), body: parts.body }
}

/** What `parse` throws for `parts`: a 400 naming the field and the rule. */
function refusal(parse: (r: RawRequest) => unknown, parts: Parameters<typeof raw>[0]): ControlApiError {
  try {
    parse(raw(parts))
  } catch (err) {
    expect(err).toBeInstanceOf(ControlApiError)
    expect((err as ControlApiError).status).toBe(400)
    return err as ControlApiError
  }
  throw new Error('parse took what it should refuse')
}

describe('intake route declarations', () => {
  it('POST /intake/drafts: a country code and a form', () => {
    const { parse } = intakeRoutes.create
    expect(parse(raw({ body: { to: 'FR', request: { schema: 'x' } } }))).toEqual({
      to: 'FR',
      request: { schema: 'x' },
    })
    expect(refusal(parse, { body: [] }).message).toBe('request body must be a JSON object')
    expect(refusal(parse, { body: { to: 'fr', request: {} } }).message).toMatch(/^to: must be /)
    expect(refusal(parse, { body: { request: {} } }).details).toEqual({ field: 'to' })
    expect(refusal(parse, { body: { to: 'FR' } }).message).toBe('request: the request form is missing')
  })

  it('POST /intake/drafts/:id/revise: the country may stay as it was, the form may not be left out', () => {
    const { parse } = intakeRoutes.revise
    expect(parse(raw({ params: { id: 'D-1' }, body: { request: {} } }))).toEqual({
      id: 'D-1',
      to: undefined,
      request: {},
    })
    expect(refusal(parse, { params: { id: 'D-1' }, body: { to: 'France', request: {} } }).details).toEqual({
      field: 'to',
    })
    expect(refusal(parse, { params: { id: 'D-1' }, body: {} }).details).toEqual({ field: 'request' })
  })

  it("return and refuse: the reviewer's words, 1 to 4000 characters", () => {
    expect(
      intakeRoutes.return.parse(raw({ params: { id: 'D-1' }, body: { comments: ' Say which logs. ' } })),
    ).toEqual({
      id: 'D-1',
      comments: 'Say which logs.',
    })
    for (const comments of [undefined, '', '   ', 'x'.repeat(4001), 7])
      expect(refusal(intakeRoutes.return.parse, { params: { id: 'D-1' }, body: { comments } }).message).toBe(
        'comments: must be text of 1 to 4000 characters',
      )
    expect(refusal(intakeRoutes.refuse.parse, { params: { id: 'D-1' }, body: {} }).message).toBe(
      'reason: must be text of 1 to 4000 characters',
    )
  })

  it('GET /intake/drafts: an optional status among the draft statuses', () => {
    const { parse } = intakeRoutes.list
    expect(parse(raw())).toEqual({ status: undefined })
    expect(parse(raw({ query: 'status=submitted' }))).toEqual({ status: 'submitted' })
    expect(refusal(parse, { query: 'status=pending' }).message).toBe(
      'status: must be one of draft, submitted, returned, refused, approved',
    )
  })
})
