import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { IllegalTransitionError, InvalidEventError, InvalidRequestError } from '@pocnet/cases'
import { toHex } from '@pocnet/crypto'
import { DirectoryError, decodeRosterChain, RecordNotFoundError } from '@pocnet/directory'
import { ENTRY_KINDS, hashLeaf, type Ledger, type LedgerEntry } from '@pocnet/ledger'
import { auditReport } from './audit.ts'
import { CASE_EVENT_KIND, CASE_REQUEST_KIND, CaseNotFoundError } from './casebook.ts'
import { ControlApiError, type Route } from './control/server.ts'
import { ROLES, type Role, type UserStore } from './control/users.ts'
import type { PocnetDaemon } from './daemon.ts'

const ALL: readonly Role[] = ROLES
const OPERATOR: readonly Role[] = ['operator']
const CONTACT: readonly Role[] = ['operator', 'contact']
const AUDIT: readonly Role[] = ['operator', 'auditor']

/** Case-package errors as API errors: 400 with every problem, 409 for an illegal step, 404 for an unknown case. */
async function caseCall<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof InvalidRequestError || err instanceof InvalidEventError) {
      throw new ControlApiError(400, err.code, err.message, {
        details: { problems: err.problems },
        hint: 'fix each field listed and send again',
      })
    }
    if (err instanceof IllegalTransitionError) {
      // the message lists both sides' moves; the hint, what this node's side can do instead
      const ours = err.allowed.filter((m) => m.side === err.side).map((m) => m.kind)
      throw new ControlApiError(409, err.code, err.message, {
        details: { status: err.status, side: err.side, allowed: err.allowed },
        hint:
          ours.length === 0
            ? `nothing the ${err.side} side can send now`
            : `the ${err.side} side can send now: ${ours.join(', ')}`,
      })
    }
    if (err instanceof CaseNotFoundError) {
      throw new ControlApiError(404, err.code, err.message, {
        hint: 'see `pocnet inbox` for the cases on this node',
      })
    }
    throw err
  }
}

/**
 * The deadline alerts the node raised: admin-action entries, scanned so that only the alerts are
 * held (every control call that changes something is an admin action too).
 */
async function alertEntries(ledger: Ledger): Promise<LedgerEntry[]> {
  const alerts: LedgerEntry[] = []
  for await (const e of ledger.scan({ kind: 'admin-action' }))
    if (e.detail?.action === 'alert') alerts.push(e)
  return alerts
}

function entryJson(e: LedgerEntry) {
  return { ...e, time: new Date(e.time).toISOString(), blobs: e.blobs.map(toHex) }
}

function timeParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name)
  if (v === null || v === '') return undefined
  const t = Date.parse(v)
  if (Number.isNaN(t) || !/(Z|[+-]\d{2}:\d{2})$/.test(v)) {
    throw new ControlApiError(
      400,
      'ERR_FIELD',
      `${name}: must be a timestamp with a zone, e.g. 2026-11-28T14:00:00Z`,
    )
  }
  return t
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ControlApiError(400, 'ERR_BODY', 'request body must be a JSON object')
  }
  return body as Record<string, unknown>
}

function requireString(body: Record<string, unknown>, field: string, rule: RegExp, ruleText: string): string {
  const v = body[field]
  if (typeof v !== 'string' || !rule.test(v)) {
    throw new ControlApiError(400, 'ERR_FIELD', `${field}: ${ruleText}`, { details: { field } })
  }
  return v
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** The optional client idempotency key of a submission (a retry with it returns the first result). */
function optionalKey(body: Record<string, unknown>): string | undefined {
  if (body.idempotencyKey === undefined) return undefined
  return requireString(
    body,
    'idempotencyKey',
    /^[A-Za-z0-9._:-]{8,128}$/,
    'must be 8-128 characters of A-Z a-z 0-9 . _ : -',
  )
}

/** The control API routes of the node daemon; the CLI is their client. */
export function nodeRoutes(daemon: PocnetDaemon, users: UserStore): Route[] {
  const caseStatus = (caseId: string | undefined): string | undefined => {
    if (caseId === undefined) return undefined
    try {
      return daemon.cases.detail(caseId).case.status
    } catch {
      return undefined
    }
  }
  return [
    {
      method: 'GET',
      path: '/health',
      roles: ALL,
      handler: async () => daemon.health(),
    },
    {
      method: 'GET',
      path: '/peers',
      roles: OPERATOR,
      handler: async () => ({
        peers: daemon.host.getConnections().map((c) => ({
          peerId: c.remotePeer.toString(),
          country: daemon.countryOf(c.remotePeer) ?? null,
          address: c.remoteAddr.toString(),
          direction: c.direction,
          openedAt: c.timeline.open,
        })),
      }),
    },
    {
      method: 'POST',
      path: '/messages',
      roles: CONTACT,
      handler: async ({ body, user }) => {
        const b = bodyObject(body)
        const to = requireString(b, 'to', /^[A-Z]{2}$/, 'must be a country code like "FR"')
        const caseId = requireString(
          b,
          'caseId',
          /^[^\p{Cc}]{0,128}$/u,
          'must be up to 128 printable characters',
        )
        const kind = requireString(b, 'kind', /^[a-z][a-z0-9.-]{0,63}$/, 'must be a lower-case message kind')
        // case traffic goes through /cases, which checks the request or the event and the case's state
        if (kind === CASE_REQUEST_KIND || kind === CASE_EVENT_KIND)
          throw new ControlApiError(400, 'ERR_FIELD', `kind: '${kind}' is reserved for case messages`, {
            details: { field: 'kind' },
            hint: 'send case requests with `pocnet request send` and case messages with `pocnet case ...`',
          })
        const payload = requireString(b, 'payload', BASE64, 'must be base64')
        if (daemon.roster.members.get(to) === undefined) {
          throw new ControlApiError(404, 'ERR_NOT_A_MEMBER', `${to} is not a member of the federation`, {
            hint: 'see `pocnet directory list` for the members',
          })
        }
        const key = optionalKey(b)
        const item = await daemon.outbox.submit({
          to,
          caseId,
          kind,
          payload: new Uint8Array(Buffer.from(payload, 'base64')),
          actor: `user:${user.name}`,
          ...(key === undefined ? {} : { idempotencyKey: key }),
        })
        return { messageId: item.messageId, queuedAt: item.queuedAt, repeated: item.repeated }
      },
    },
    {
      method: 'GET',
      path: '/outbox',
      roles: CONTACT,
      handler: async () => ({
        items: daemon.outbox.list().map(({ envelope: _e, envelopeHash, ...rest }) => ({
          ...rest,
          envelopeHash: toHex(envelopeHash),
          lastError: rest.lastError ?? null,
        })),
      }),
    },
    {
      method: 'GET',
      path: '/inbox',
      roles: CONTACT,
      handler: async () => ({
        messages: (await daemon.ledger.query({ kind: 'message-received' })).map((e) => ({
          messageId: e.messageId,
          // a case message shows its case's status now; any other message is simply received
          state: caseStatus(e.caseId) ?? 'received',
          from: e.counterpart,
          caseId: e.caseId ?? '',
          kind: String(e.detail?.messageKind ?? ''),
          createdAt: e.detail?.createdAt ?? null,
          receivedAt: e.time,
          seq: e.seq,
        })),
      }),
    },
    {
      method: 'GET',
      path: '/directory',
      roles: ALL,
      handler: async () => ({ countries: daemon.directory.list() }),
    },
    {
      method: 'GET',
      path: '/directory/:country',
      roles: ALL,
      handler: async ({ params }) => {
        const country = params.country ?? ''
        if (!/^[A-Z]{2}$/.test(country))
          throw new ControlApiError(400, 'ERR_FIELD', 'country must be like "FR"')
        try {
          const found = await daemon.directory.lookup(country, { signal: AbortSignal.timeout(15_000) })
          const { boxPublicKey, ...record } = found.record
          return {
            record: { ...record, boxPublicKey: toHex(boxPublicKey) },
            source: found.source,
            fetchedAt: found.fetchedAt,
          }
        } catch (err) {
          if (err instanceof RecordNotFoundError) {
            throw new ControlApiError(404, 'ERR_NO_RECORD', err.message, {
              hint: 'the country may not have published yet, or no member is reachable',
            })
          }
          throw err
        }
      },
    },
    {
      method: 'POST',
      path: '/directory/publish',
      roles: OPERATOR,
      handler: async () => daemon.publishOwnRecord(),
    },
    {
      method: 'POST',
      path: '/cases',
      roles: CONTACT,
      handler: async ({ body, user }) => {
        const b = bodyObject(body)
        const to = requireString(b, 'to', /^[A-Z]{2}$/, 'must be a country code like "FR"')
        if (to === daemon.config.country)
          throw new ControlApiError(400, 'ERR_FIELD', 'to: cannot send a request to your own country')
        if (daemon.roster.members.get(to) === undefined) {
          throw new ControlApiError(404, 'ERR_NOT_A_MEMBER', `${to} is not a member of the federation`, {
            hint: 'see `pocnet directory list` for the members',
          })
        }
        const key = optionalKey(b)
        return caseCall(() => daemon.cases.openRequest(to, b.request, `user:${user.name}`, key))
      },
    },
    {
      method: 'GET',
      path: '/cases',
      roles: ALL,
      handler: async () => ({ cases: daemon.cases.list() }),
    },
    {
      method: 'GET',
      path: '/cases/:id',
      roles: ALL,
      handler: async ({ params }) =>
        caseCall(() => {
          const d = daemon.cases.detail(params.id ?? '')
          return {
            case: d.case,
            side: d.side,
            events: d.case.history,
            allowedMoves: d.allowedMoves,
            ackDueAt: d.ackDueAt,
            nextAlert: d.nextAlert,
          }
        }),
    },
    {
      method: 'POST',
      path: '/cases/:id/events',
      roles: CONTACT,
      handler: async ({ params, body, user }) => {
        const fields = bodyObject(body)
        for (const reserved of ['id', 'seq', 'at', 'side']) {
          if (reserved in fields)
            throw new ControlApiError(400, 'ERR_FIELD', `${reserved}: is set by the node, leave it out`)
        }
        return caseCall(() => daemon.cases.addEvent(params.id ?? '', fields, `user:${user.name}`))
      },
    },
    {
      method: 'POST',
      path: '/cases/:id/followup',
      roles: CONTACT,
      handler: async ({ params, body }) => {
        // optional { country }: which third country's disclosure to follow up (default: the latest)
        const b = body === undefined ? {} : bodyObject(body)
        const country =
          b.country === undefined
            ? undefined
            : requireString(b, 'country', /^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, like NL')
        return caseCall(() => daemon.cases.followUp(params.id ?? '', country))
      },
    },
    {
      method: 'GET',
      path: '/events',
      roles: ALL,
      handler: async ({ query, signal }) => {
        const after = Number(query.get('after') ?? daemon.feed.cursor)
        const waitMs = Math.min(Math.max(Number(query.get('waitMs') ?? 0), 0), 25_000)
        if (!Number.isSafeInteger(after) || Number.isNaN(waitMs)) {
          throw new ControlApiError(400, 'ERR_FIELD', 'after and waitMs must be whole numbers')
        }
        const events = await daemon.feed.after(after, waitMs, signal)
        // epoch: the feed lives in memory, so cursors restart with the daemon; a client seeing a
        // new epoch knows to re-read the inbox instead of trusting its cursor
        return { events, cursor: events.at(-1)?.cursor ?? Math.max(after, 0), epoch: daemon.startedAt }
      },
    },
    {
      method: 'GET',
      path: '/ledger/entries',
      roles: AUDIT,
      handler: async ({ query }) => {
        const kind = query.get('kind') ?? undefined
        if (kind !== undefined && !(ENTRY_KINDS as readonly string[]).includes(kind)) {
          throw new ControlApiError(400, 'ERR_FIELD', `kind: must be one of ${ENTRY_KINDS.join(', ')}`)
        }
        const limit = Number(query.get('limit') ?? 1000)
        const from = timeParam(query, 'from')
        const to = timeParam(query, 'to')
        const entries = await daemon.ledger.query({
          ...(query.get('caseId') ? { caseId: query.get('caseId')! } : {}),
          ...(query.get('counterpart') ? { counterpart: query.get('counterpart')! } : {}),
          ...(kind ? { kind: kind as LedgerEntry['kind'] } : {}),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          limit: Number.isSafeInteger(limit) && limit > 0 ? Math.min(limit, 100_000) : 1000,
        })
        return { entries: entries.map(entryJson) }
      },
    },
    {
      method: 'POST',
      path: '/ledger/export',
      roles: AUDIT,
      handler: async ({ body }) => {
        const b = bodyObject(body)
        const path = b.path
        if (typeof path !== 'string' || !isAbsolute(path)) {
          throw new ControlApiError(400, 'ERR_FIELD', 'path: must be an absolute path for the bundle')
        }
        // The daemon writes the bundle with its own rights, for a caller who may be only an
        // auditor: never into the data directory (its key, users, ledger), never over a file.
        if (await isInside(path, daemon.dataDir))
          throw new ControlApiError(400, 'ERR_FIELD', "path: must be outside the node's data directory")
        let exported: Awaited<ReturnType<typeof daemon.ledger.export>>
        try {
          exported = await daemon.ledger.export(path, {
            includeBlobBytes: b.includeBlobBytes === true,
            replace: false,
          })
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          if (code === 'EEXIST')
            throw new ControlApiError(
              409,
              'ERR_EXISTS',
              `path: ${path} exists; the bundle never replaces a file`,
            )
          if (code === 'ENOENT' || code === 'EACCES' || code === 'EROFS')
            throw new ControlApiError(400, 'ERR_FIELD', `path: the daemon cannot write ${path} (${code})`, {
              hint: 'give a directory the daemon can write; under systemd its /tmp is private',
            })
          throw err
        }
        const { entries, checkpoint } = exported
        return { path, entries, checkpoint: { size: checkpoint.size, root: toHex(checkpoint.root) } }
      },
    },
    {
      method: 'POST',
      path: '/ledger/checkpoint',
      roles: AUDIT,
      handler: async () => {
        const c = await daemon.ledger.checkpoint()
        return { size: c.size, root: toHex(c.root), note: c.note }
      },
    },
    {
      method: 'GET',
      path: '/ledger/proof/:seq',
      roles: AUDIT,
      handler: async ({ params }) => {
        const seq = Number(params.seq)
        if (!Number.isSafeInteger(seq) || seq < 0 || seq >= daemon.ledger.size) {
          throw new ControlApiError(400, 'ERR_FIELD', `seq: must be 0..${daemon.ledger.size - 1}`)
        }
        let checkpoint = daemon.ledger.latestCheckpoint()
        if (checkpoint === undefined || checkpoint.size <= seq) checkpoint = await daemon.ledger.checkpoint()
        const bytes = await daemon.ledger.getBytes(seq)
        const proof = await daemon.ledger.inclusionProof(seq, checkpoint.size)
        return {
          seq,
          treeSize: checkpoint.size,
          leafHash: toHex(hashLeaf(bytes)),
          entry: toHex(bytes),
          proof: proof.map(toHex),
          checkpoint: checkpoint.note,
        }
      },
    },
    {
      method: 'GET',
      path: '/audit/report',
      roles: AUDIT,
      handler: async () =>
        auditReport({
          country: daemon.config.country,
          now: new Date(),
          cases: daemon.cases.list().map((s) => {
            const d = daemon.cases.detail(s.id)
            return {
              case: d.case,
              side: d.side,
              counterpart: s.side === 'requester' ? s.requested : s.requester,
            }
          }),
          alertEntries: await alertEntries(daemon.ledger),
          ledgerSize: daemon.ledger.size,
        }),
    },
    {
      method: 'POST',
      path: '/roster',
      roles: OPERATOR,
      handler: async ({ body, user }) => {
        const b = bodyObject(body)
        const chainB64 = requireString(b, 'chain', BASE64, 'must be the roster chain file, base64')
        try {
          const outcome = daemon.offerRoster(
            decodeRosterChain(new Uint8Array(Buffer.from(chainB64, 'base64'))),
          )
          await daemon.ledger.append({
            kind: 'admin-action',
            actor: `user:${user.name}`,
            detail: { action: 'roster-offer', outcome, version: daemon.roster.version },
          })
          return { outcome, version: daemon.roster.version }
        } catch (err) {
          if (err instanceof DirectoryError) {
            throw new ControlApiError(409, err.code, err.message, {
              hint: 'check the chain with `pocnet roster verify <file>`',
            })
          }
          throw err
        }
      },
    },
    {
      method: 'GET',
      path: '/users',
      roles: OPERATOR,
      handler: async () => ({ users: users.list() }),
    },
    {
      method: 'POST',
      path: '/users',
      roles: OPERATOR,
      handler: async ({ body, user }) => {
        const b = bodyObject(body)
        const name = requireString(b, 'name', /^.{1,32}$/, 'must be 1-32 characters')
        const role = requireString(
          b,
          'role',
          new RegExp(`^(${ROLES.join('|')})$`),
          `must be one of ${ROLES.join(', ')}`,
        )
        const token = await users.add(name, role as Role)
        await daemon.ledger.append({
          kind: 'admin-action',
          actor: `user:${user.name}`,
          detail: { action: 'user-add', name, role },
        })
        return { name, role, token }
      },
    },
    {
      method: 'DELETE',
      path: '/users/:name',
      roles: OPERATOR,
      handler: async ({ params, user }) => {
        const name = params.name ?? ''
        if (name === user.name)
          throw new ControlApiError(400, 'ERR_SELF', 'an operator cannot remove their own user')
        await users.remove(name)
        await daemon.ledger.append({
          kind: 'admin-action',
          actor: `user:${user.name}`,
          detail: { action: 'user-remove', name },
        })
        return { removed: name }
      },
    },
  ]
}

/**
 * Whether `path` is `dir` or inside it, following symbolic links on both sides (the file itself
 * need not exist yet: its nearest existing parent is resolved).
 */
async function isInside(path: string, dir: string): Promise<boolean> {
  const real = async (p: string): Promise<string> => {
    try {
      return await realpath(p)
    } catch {
      const parent = dirname(p)
      return parent === p ? p : join(await real(parent), basename(p))
    }
  }
  const rel = relative(await real(dir), await real(path))
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}
