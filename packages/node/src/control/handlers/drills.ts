import type { PocnetDaemon } from '../../daemon.ts'
import { DrillAnsweredError, DrillNotFoundError } from '../../drills/errors.ts'
import { ControlApiError } from '../errors.ts'
import type { drillRoutes } from '../routes/drills.ts'
import type { Handlers } from '../serve.ts'
import { requireMember } from './membership.ts'

export function drillHandlers(daemon: PocnetDaemon): Handlers<typeof drillRoutes> {
  return {
    overview: async () => daemon.drills.overview(),
    run: async ({ countries }, { user }) => {
      for (const country of countries ?? []) requireMember(daemon, country)
      return { launches: await daemon.drills.run(countries, `user:${user.name}`) }
    },
    acknowledge: async ({ id }, { user }) => {
      try {
        return await daemon.drills.acknowledge(id, user.name)
      } catch (err) {
        if (err instanceof DrillNotFoundError)
          throw new ControlApiError(404, err.code, err.message, { hint: err.hint })
        if (err instanceof DrillAnsweredError)
          throw new ControlApiError(409, err.code, err.message, { hint: err.hint })
        throw err
      }
    },
  }
}
