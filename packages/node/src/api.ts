import { toHex } from '@pocnet/crypto'
import { RecordNotFoundError } from '@pocnet/directory'
import { ControlApiError, type Route } from './control/server.ts'
import { ROLES, type Role, type UserStore } from './control/users.ts'
import type { PocnetDaemon } from './daemon.ts'

const ALL: readonly Role[] = ROLES
const OPERATOR: readonly Role[] = ['operator']
const CONTACT: readonly Role[] = ['operator', 'contact']

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

/** The control API routes of the node daemon; the CLI is their client. */
export function nodeRoutes(daemon: PocnetDaemon, users: UserStore): Route[] {
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
        const payload = requireString(b, 'payload', BASE64, 'must be base64')
        if (daemon.roster.members.get(to) === undefined) {
          throw new ControlApiError(404, 'ERR_NOT_A_MEMBER', `${to} is not a member of the federation`, {
            hint: 'see `pocnet directory list` for the members',
          })
        }
        const item = await daemon.outbox.submit({
          to,
          caseId,
          kind,
          payload: new Uint8Array(Buffer.from(payload, 'base64')),
          actor: `user:${user.name}`,
        })
        return { messageId: item.messageId, queuedAt: item.queuedAt }
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
