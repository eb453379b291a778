import { isUserName, USER_NAME_RULE } from '@pocnet/protocol/formats'
import type { Cover, Shift } from '../../duty/roster.ts'
import { channelProblems, coverProblems, isShiftId, SHIFT_ID_RULE, shiftProblems } from '../../duty/roster.ts'
import { CONTACTS, DUTY_MANAGERS, EVERY_ROLE, type NoRequest, nothing, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject, requireString } from '../fields.ts'

/** One watch as `pocnet duty` shows it: times as ISO 8601 UTC. */
export interface WatchView {
  shift: string
  from: string
  until: string
  officer: string
  backup: string | null
  supervisor: string | null
  timeZone: string
}

/** The roster as a client reads it: each person's channel kinds, never the numbers and addresses. */
export interface DutyView {
  /** The node's case clock now. */
  now: string
  onDuty: WatchView | null
  next: WatchView | null
  shifts: Shift[]
  covers: Cover[]
  people: Array<{ name: string; channels: string[] }>
}

export interface ChannelsSubmission {
  name: string
  phone?: string
  email?: string
  pager?: string
}

/** A 400 listing every problem, as the roster's field rules found them. */
function refuse(problems: string[], hint?: string): void {
  if (problems.length > 0)
    throw new ControlApiError(400, 'ERR_FIELD', problems.join('; '), hint === undefined ? {} : { hint })
}

/** The duty roster: who answers the desk when, and how they are reached (never leaves the node). */
export const dutyRoutes = {
  show: route<NoRequest, DutyView>()({
    method: 'GET',
    path: '/duty',
    roles: EVERY_ROLE,
    parse: nothing,
  }),
  /** Adds a shift or replaces the one with its id. */
  setShift: route<{ body: Shift }, { shift: Shift }>()({
    method: 'POST',
    path: '/duty/shifts',
    roles: DUTY_MANAGERS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      refuse(
        shiftProblems(b),
        'e.g. {"id":"day","officer":"alice","days":["mon","tue"],"start":"08:00","end":"20:00","timeZone":"Europe/Paris"}',
      )
      const extra = Object.keys(b).find(
        (k) => !['id', 'officer', 'backup', 'supervisor', 'timeZone', 'days', 'start', 'end'].includes(k),
      )
      if (extra !== undefined) refuse([`${extra}: is not a field of a shift`])
      return b as unknown as Shift
    },
  }),
  removeShift: route<{ params: { id: string } }, { removed: string }>()({
    method: 'DELETE',
    path: '/duty/shifts/:id',
    roles: DUTY_MANAGERS,
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
  /** Exchanges the officers of two shifts. */
  swap: route<{ body: { a: string; b: string } }, { a: string; b: string }>()({
    method: 'POST',
    path: '/duty/swap',
    roles: DUTY_MANAGERS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      return {
        a: requireString(b, 'a', isShiftId, `must be a shift id (${SHIFT_ID_RULE})`),
        b: requireString(b, 'b', isShiftId, `must be a shift id (${SHIFT_ID_RULE})`),
      }
    },
  }),
  /** `person` stands in for `absent` from `from` until `until`. */
  cover: route<{ body: Omit<Cover, 'id'> & { id?: string } }, { cover: Cover }>()({
    method: 'POST',
    path: '/duty/covers',
    roles: DUTY_MANAGERS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const cover = {
        id: b.id ?? `cover-${Date.now().toString(36)}`,
        person: b.person,
        absent: b.absent,
        from: b.from,
        until: b.until,
      }
      refuse(coverProblems(cover))
      return cover as Cover
    },
  }),
  /** A person's own alert channels: set by a duty manager, or by the person for themselves. */
  setChannels: route<{ body: ChannelsSubmission }, { name: string; channels: string[] }>()({
    method: 'POST',
    path: '/duty/people',
    roles: CONTACTS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const name = requireString(b, 'name', isUserName, `must be ${USER_NAME_RULE}`)
      const { name: _, ...channels } = b
      refuse(channelProblems(channels, ''))
      return { name, channels: channels as Omit<ChannelsSubmission, 'name'> }
    },
  }),
}
