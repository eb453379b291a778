import { checkCounterpart } from '../../counterpart/before-send.ts'
import type { PocnetDaemon } from '../../daemon.ts'
import type { counterpartRoutes } from '../routes/counterpart.ts'
import type { Handlers } from '../serve.ts'
import { requireMember } from './membership.ts'

export function counterpartHandlers(daemon: PocnetDaemon): Handlers<typeof counterpartRoutes> {
  return {
    check: async ({ to, request }) => {
      requireMember(daemon, to)
      return checkCounterpart(daemon.directory, to, request)
    },
  }
}
