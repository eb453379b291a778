import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ENTRY_KINDS } from '@pocnet/ledger'
import { COUNTRY_CODE_RULE } from '@pocnet/protocol/formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RawRequest, requestTarget, route } from '../../src/control/contract.ts'
import {
  CONTROL_ROUTES,
  ControlApiError,
  ControlClient,
  caseRoutes,
  createLogger,
  DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
  directoryRoutes,
  drillRoutes,
  ledgerRoutes,
  MAX_EXPORT_COSIGN_TIMEOUT_MS,
  messageRoutes,
  serveRoutes,
  startControlServer,
  UserStore,
  userRoutes,
} from '../../src/index.ts'

/** A call's raw parts, as the server hands them to a route's `parse`. */
function raw(parts: { params?: Record<string, string>; query?: string; body?: unknown } = {}): RawRequest {
  return { params: parts.params ?? {}, query: new URLSearchParams(parts.query ?? ''), body: parts.body }
}

/** The error `parse` throws for `parts`, which must be a 400 with `message`. */
function refused(parse: (r: RawRequest) => unknown, parts: Parameters<typeof raw>[0], message: string) {
  let thrown: unknown
  try {
    parse(raw(parts))
  } catch (err) {
    thrown = err
  }
  expect(thrown).toBeInstanceOf(ControlApiError)
  expect(thrown).toMatchObject({ status: 400, message })
  return thrown as ControlApiError
}

const message = { to: 'FR', caseId: 'IT-1', kind: 'test', payload: 'AAEC' }

describe('control API route declarations', () => {
  it('declare each method and path once, each with the roles it allows', () => {
    const all = Object.values(CONTROL_ROUTES).flatMap((area) => Object.values(area))
    const keys = all.map((r) => `${r.method} ${r.path}`)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys).toHaveLength(52)
    for (const r of all) {
      expect(r.path).toMatch(/^\/[a-z]/)
      expect(r.roles.length).toBeGreaterThan(0)
    }
  })

  it('build the request target: parameters percent-encoded, absent query values left out', () => {
    expect(requestTarget('/cases/:id/events', { params: { id: 'IT 1/2' } })).toBe('/cases/IT%201%2F2/events')
    expect(requestTarget('/events', { query: { after: 3, waitMs: undefined } })).toBe('/events?after=3')
    expect(requestTarget('/ledger/entries', { query: {} })).toBe('/ledger/entries')
    expect(() => requestTarget('/users/:name', {})).toThrow(/no value for the path parameter :name/)
  })

  describe('GET /audit/report', () => {
    const { parse } = ledgerRoutes.auditReport

    it('takes a span from `from` (inclusive) to `to` (exclusive), either open', () => {
      expect(parse(raw())).toEqual({})
      expect(parse(raw({ query: 'from=2026-11-01T00:00:00%2B01:00&to=2026-12-01T00:00:00Z' }))).toEqual({
        from: Date.parse('2026-10-31T23:00:00Z'),
        to: Date.parse('2026-12-01T00:00:00Z'),
      })
    })

    it('names the field of a bad bound, and refuses from after to', () => {
      refused(
        parse,
        { query: 'from=2026-11-01' },
        'from: must be a timestamp with a zone, e.g. 2026-11-28T14:00:00Z',
      )
      refused(
        parse,
        { query: 'from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z' },
        'from: must not be after to',
      )
    })
  })

  describe('POST /messages', () => {
    const { parse } = messageRoutes.submit

    it('takes a message and decodes its payload', () => {
      expect(parse(raw({ body: { ...message, idempotencyKey: 'retry-0001' } }))).toEqual({
        to: 'FR',
        caseId: 'IT-1',
        kind: 'test',
        payload: new Uint8Array([0, 1, 2]),
        idempotencyKey: 'retry-0001',
      })
    })

    it('names the field and its rule', () => {
      refused(parse, { body: [] }, 'request body must be a JSON object')
      const to = refused(
        parse,
        { body: { ...message, to: 'fr' } },
        'to: must be two upper-case letters (ISO 3166-1 alpha-2), like "FR"',
      )
      expect(to).toMatchObject({ code: 'ERR_FIELD', details: { field: 'to' } })
      refused(
        parse,
        { body: { ...message, caseId: 'a\nb' } },
        'caseId: must be up to 128 printable characters',
      )
      refused(parse, { body: { ...message, kind: 'Test' } }, 'kind: must be a lower-case message kind')
      refused(parse, { body: { ...message, payload: 'no base64!' } }, 'payload: must be base64')
      refused(
        parse,
        { body: { ...message, idempotencyKey: 'short' } },
        'idempotencyKey: must be 8-128 characters of A-Z a-z 0-9 . _ : -',
      )
    })

    it('keeps the case kinds for /cases', () => {
      for (const kind of ['case-request', 'case-event'])
        expect(
          refused(parse, { body: { ...message, kind } }, `kind: '${kind}' is reserved for case messages`)
            .hint,
        ).toMatch(/pocnet request send/)
    })

    it('keeps the drill kinds for the node', () => {
      for (const kind of ['drill', 'drill.ack', 'drill.refused'])
        expect(
          refused(
            parse,
            { body: { ...message, kind } },
            `kind: '${kind}' is reserved for reachability drills`,
          ).hint,
        ).toMatch(/pocnet drills run/)
    })
  })

  describe('drills', () => {
    it('POST /drills/run: the countries named, each once, or none', () => {
      const { parse } = drillRoutes.run
      expect(parse(raw())).toEqual({ countries: undefined })
      expect(parse(raw({ body: {} }))).toEqual({ countries: undefined })
      expect(parse(raw({ body: { countries: ['FR', 'DE'] } }))).toEqual({ countries: ['FR', 'DE'] })
      const rule = `countries: must be a non-empty list of ${COUNTRY_CODE_RULE}, each once`
      for (const countries of [[], ['fr'], ['FR', 'FR'], 'FR'])
        expect(refused(parse, { body: { countries } }, rule).details).toEqual({ field: 'countries' })
    })
  })

  describe('cases', () => {
    it('POST /cases: a country to send to, the form as it stands, an optional key', () => {
      const form = { schema: 'x' }
      expect(caseRoutes.open.parse(raw({ body: { to: 'FR', request: form } }))).toEqual({
        to: 'FR',
        request: form,
        idempotencyKey: undefined,
      })
      refused(
        caseRoutes.open.parse,
        { body: { to: 'France', request: form } },
        'to: must be two upper-case letters (ISO 3166-1 alpha-2), like "FR"',
      )
      refused(
        caseRoutes.open.parse,
        { body: { to: 'FR', request: form, idempotencyKey: 7 } },
        'idempotencyKey: must be 8-128 characters of A-Z a-z 0-9 . _ : -',
      )
    })

    it('POST /cases/:id/events leaves the fields the node sets to the node', () => {
      const params = { id: 'IT-1' }
      expect(caseRoutes.step.parse(raw({ params, body: { kind: 'closed', reason: 'done' } }))).toEqual({
        id: 'IT-1',
        fields: { kind: 'closed', reason: 'done' },
      })
      for (const field of ['id', 'seq', 'at', 'side'])
        refused(
          caseRoutes.step.parse,
          { params, body: { kind: 'closed', [field]: 1 } },
          `${field}: is set by the node, leave it out`,
        )
      refused(caseRoutes.step.parse, { params, body: 'closed' }, 'request body must be a JSON object')
    })

    it('POST /cases/:id/followup takes no body, or a third country', () => {
      const params = { id: 'IT-1' }
      expect(caseRoutes.followUp.parse(raw({ params }))).toEqual({ id: 'IT-1', country: undefined })
      expect(caseRoutes.followUp.parse(raw({ params, body: { country: 'NL' } }))).toEqual({
        id: 'IT-1',
        country: 'NL',
      })
      refused(
        caseRoutes.followUp.parse,
        { params, body: { country: 'nl' } },
        'country: must be two upper-case letters (ISO 3166-1 alpha-2), like "NL"',
      )
    })

    it('GET /events: from now by default, a wait of at most 25 s', () => {
      const { parse } = caseRoutes.feed
      expect(parse(raw())).toEqual({ after: undefined, waitMs: 0 })
      expect(parse(raw({ query: 'after=7&waitMs=99999' }))).toEqual({ after: 7, waitMs: 25_000 })
      expect(parse(raw({ query: 'waitMs=-5' }))).toEqual({ after: undefined, waitMs: 0 })
      for (const query of ['after=1.5', 'after=x', 'waitMs=soon'])
        refused(parse, { query }, 'after and waitMs must be whole numbers')
    })
  })

  describe('ledger', () => {
    it('GET /ledger/entries: filters, an empty one dropped; a limit kept within bounds', () => {
      const { parse } = ledgerRoutes.entries
      expect(parse(raw({ query: 'caseId=&counterpart=FR&kind=receipt&from=2026-11-28T00:00:00Z' }))).toEqual({
        counterpart: 'FR',
        kind: 'receipt',
        from: Date.parse('2026-11-28T00:00:00Z'),
        limit: 1000,
      })
      expect(parse(raw({ query: 'limit=200000' })).limit).toBe(100_000)
      expect(parse(raw({ query: 'limit=0' })).limit).toBe(1000)
      expect(parse(raw({ query: 'limit=many' })).limit).toBe(1000)
      refused(parse, { query: 'kind=gossip' }, `kind: must be one of ${ENTRY_KINDS.join(', ')}`)
      refused(
        parse,
        { query: 'to=2026-11-28T00:00:00' },
        'to: must be a timestamp with a zone, e.g. 2026-11-28T14:00:00Z',
      )
    })

    it('POST /ledger/export: an absolute path; blob bytes only when asked for with true; a bounded cosign wait', () => {
      const { parse } = ledgerRoutes.export
      expect(parse(raw({ body: { path: '/tmp/x.bundle', includeBlobBytes: 'yes' } }))).toEqual({
        path: '/tmp/x.bundle',
        includeBlobBytes: false,
        cosignTimeoutMs: DEFAULT_EXPORT_COSIGN_TIMEOUT_MS,
      })
      expect(parse(raw({ body: { path: '/tmp/x.bundle', cosignTimeoutMs: 0 } }))).toMatchObject({
        cosignTimeoutMs: 0,
      })
      refused(parse, { body: { path: 'x.bundle' } }, 'path: must be an absolute path for the bundle')
      for (const cosignTimeoutMs of [-1, 1.5, '10', MAX_EXPORT_COSIGN_TIMEOUT_MS + 1])
        refused(
          parse,
          { body: { path: '/tmp/x.bundle', cosignTimeoutMs } },
          `cosignTimeoutMs: must be a whole number of milliseconds, 0 to ${MAX_EXPORT_COSIGN_TIMEOUT_MS}`,
        )
    })

    it('GET /ledger/proof/:seq reads the number; the node checks its range', () => {
      expect(ledgerRoutes.proof.parse(raw({ params: { seq: '42' } }))).toEqual({ seq: 42 })
    })
  })

  it('GET /directory/:country and POST /roster name what they need', () => {
    expect(directoryRoutes.lookup.parse(raw({ params: { country: 'FR' } }))).toEqual({ country: 'FR' })
    refused(
      directoryRoutes.lookup.parse,
      { params: { country: 'fr' } },
      'country must be two upper-case letters (ISO 3166-1 alpha-2), like "FR"',
    )
    expect(directoryRoutes.offerRoster.parse(raw({ body: { chain: 'AQI=' } }))).toEqual({
      chain: new Uint8Array([1, 2]),
    })
    refused(directoryRoutes.offerRoster.parse, { body: {} }, 'chain: must be the roster chain file, base64')
  })

  it('POST /users: a name by the user-name rule and a known role', () => {
    const { parse } = userRoutes.add
    expect(parse(raw({ body: { name: 'olga', role: 'auditor' } }))).toEqual({ name: 'olga', role: 'auditor' })
    const nameRule =
      'name: must be 1-32 characters of a-z, 0-9, ".", "_" and "-", the first a letter or digit'
    // the route checks what users.json takes: not just any 1-32 characters
    for (const name of ['', 'Olga', 'olga smith', '.olga', 'o'.repeat(33), 'ölga'])
      expect(refused(parse, { body: { name, role: 'auditor' } }, nameRule).details).toEqual({ field: 'name' })
    const role = refused(
      parse,
      { body: { name: 'olga', role: 'admin' } },
      'role: must be one of operator, contact, auditor, supervisor, investigator',
    )
    expect(role.details).toEqual({ field: 'role' })
  })
})

describe('a declared route, served and called', () => {
  const greeting = route<{ params: { name: string }; query?: { times?: number } }, { greeting: string }>()({
    method: 'GET',
    path: '/greet/:name',
    roles: ['auditor'],
    parse: ({ params, query }) => {
      const times = Number(query.get('times') ?? 1)
      if (!Number.isSafeInteger(times) || times < 1)
        throw new ControlApiError(400, 'ERR_FIELD', 'times: must be a whole number from 1')
      return { name: params.name ?? '', times }
    },
  })
  let dir: string
  let server: Server
  let client: ControlClient
  let handled = 0

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-routes-'))
    const users = await UserStore.open(dir)
    client = new ControlClient(join(dir, 'control.sock'), await users.add('aud', 'auditor'))
    server = await startControlServer({
      socketPath: join(dir, 'control.sock'),
      users,
      log: createLogger({ level: 'error', write: () => {} }),
      routes: serveRoutes(
        { greeting },
        {
          greeting: async ({ name, times }, { user }) => {
            handled++
            return { greeting: `${`hello ${name} `.repeat(times).trim()}, from ${user.name}` }
          },
        },
      ),
    })
  })

  afterAll(async () => {
    await new Promise((r) => server.close(r))
    await rm(dir, { recursive: true, force: true })
  })

  it('carries the parameters and the query to the handler, and its answer back', async () => {
    expect(await client.call(greeting, { params: { name: 'Ana María' }, query: { times: 2 } })).toEqual({
      greeting: 'hello Ana María hello Ana María, from aud',
    })
  })

  it('answers a call its parse refuses with the 400, without handling it', async () => {
    const before = handled
    await expect(client.call(greeting, { params: { name: 'x' }, query: { times: 0 } })).rejects.toMatchObject(
      {
        status: 400,
        code: 'ERR_FIELD',
        message: 'times: must be a whole number from 1',
      },
    )
    expect(handled).toBe(before)
  })
})
