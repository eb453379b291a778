import type { PocnetDaemon } from '../../daemon.ts'
import { ControlApiError } from '../errors.ts'

/** Refuses (404) a country that is not a member of the federation: nothing can be sent to it. */
export function requireMember(daemon: PocnetDaemon, country: string): void {
  if (daemon.roster.members.get(country) === undefined) {
    throw new ControlApiError(404, 'ERR_NOT_A_MEMBER', `${country} is not a member of the federation`, {
      hint: 'see `pocnet directory list` for the members',
    })
  }
}
