import { isUserName, USER_NAME_RULE } from '@pocnet/protocol/formats'
import { type NoRequest, nothing, OPERATORS, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject, requireOneOf, requireString } from '../fields.ts'
import { ROLES, type Role, type UserRecord } from '../roles.ts'

/** A user as listed: never their token's hash. */
export type UserView = Omit<UserRecord, 'tokenHash'>

export interface UserAdded {
  name: string
  role: Role
  /** Shown this once: only its hash is kept. */
  token: string
  /** When the token stops working, ms since the epoch; null: it does not expire. */
  expiresAt: number | null
}

/** `expiresAt` of a body: absent, or a whole number of ms since the epoch still to come. */
function optionalExpiry(body: Record<string, unknown>): number | undefined {
  const v = body.expiresAt
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= Date.now())
    throw new ControlApiError(
      400,
      'ERR_FIELD',
      'expiresAt: must be a time still to come, in whole milliseconds since 1970',
      { details: { field: 'expiresAt' }, hint: 'give the lifetime as `--expires 90d` (d, h or m)' },
    )
  return v
}

/** The node's local users and their roles (operators only). */
export const userRoutes = {
  list: route<NoRequest, { users: UserView[] }>()({
    method: 'GET',
    path: '/users',
    roles: OPERATORS,
    parse: nothing,
  }),
  add: route<{ body: { name: string; role: Role; expiresAt?: number } }, UserAdded>()({
    method: 'POST',
    path: '/users',
    roles: OPERATORS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const name = requireString(b, 'name', isUserName, `must be ${USER_NAME_RULE}`)
      return { name, role: requireOneOf(b, 'role', ROLES), expiresAt: optionalExpiry(b) }
    },
  }),
  /** A new token for a user in place of the old one, which stops working at once. */
  rotate: route<{ params: { name: string }; body?: { expiresAt?: number } }, UserAdded>()({
    method: 'POST',
    path: '/users/:name/token',
    roles: OPERATORS,
    parse: ({ params, body }) => ({
      name: params.name ?? '',
      expiresAt: optionalExpiry(body === undefined ? {} : bodyObject(body)),
    }),
  }),
  /** Removes a user (never the caller: the node checks). */
  remove: route<{ params: { name: string } }, { removed: string }>()({
    method: 'DELETE',
    path: '/users/:name',
    roles: OPERATORS,
    parse: ({ params }) => ({ name: params.name ?? '' }),
  }),
}
