import { isUserName, USER_NAME_RULE } from '@pocnet/protocol/formats'
import { type NoRequest, nothing, OPERATORS, route } from '../contract.ts'
import { bodyObject, requireOneOf, requireString } from '../fields.ts'
import { ROLES, type Role, type UserRecord } from '../roles.ts'

/** A user as listed: never their token's hash. */
export type UserView = Omit<UserRecord, 'tokenHash'>

export interface UserAdded {
  name: string
  role: Role
  /** Shown this once: only its hash is kept. */
  token: string
}

/** The node's local users and their roles (operators only). */
export const userRoutes = {
  list: route<NoRequest, { users: UserView[] }>()({
    method: 'GET',
    path: '/users',
    roles: OPERATORS,
    parse: nothing,
  }),
  add: route<{ body: { name: string; role: Role } }, UserAdded>()({
    method: 'POST',
    path: '/users',
    roles: OPERATORS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const name = requireString(b, 'name', isUserName, `must be ${USER_NAME_RULE}`)
      return { name, role: requireOneOf(b, 'role', ROLES) }
    },
  }),
  /** Removes a user (never the caller: the node checks). */
  remove: route<{ params: { name: string } }, { removed: string }>()({
    method: 'DELETE',
    path: '/users/:name',
    roles: OPERATORS,
    parse: ({ params }) => ({ name: params.name ?? '' }),
  }),
}
