import type { PocnetDaemon } from '../../daemon.ts'
import { ControlApiError } from '../errors.ts'
import type { userRoutes } from '../routes/users.ts'
import type { Handlers } from '../serve.ts'
import type { UserStore } from '../users.ts'

export function userHandlers(daemon: PocnetDaemon, users: UserStore): Handlers<typeof userRoutes> {
  return {
    list: async () => ({ users: users.list() }),
    add: async ({ name, role, expiresAt }, { user }) => {
      const token = await users.add(name, role, expiresAt)
      await daemon.ledger.append({
        kind: 'admin-action',
        actor: `user:${user.name}`,
        detail: { action: 'user-add', name, role, ...(expiresAt === undefined ? {} : { expiresAt }) },
      })
      return { name, role, token, expiresAt: expiresAt ?? null }
    },
    rotate: async ({ name, expiresAt }, { user }) => {
      const token = await users.rotate(name, expiresAt)
      await daemon.ledger.append({
        kind: 'admin-action',
        actor: `user:${user.name}`,
        detail: { action: 'user-token-rotate', name, ...(expiresAt === undefined ? {} : { expiresAt }) },
      })
      const role = users.list().find((u) => u.name === name)!.role
      return { name, role, token, expiresAt: expiresAt ?? null }
    },
    remove: async ({ name }, { user }) => {
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
  }
}
