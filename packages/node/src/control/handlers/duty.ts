import type { PocnetDaemon } from '../../daemon.ts'
import { DutyError } from '../../duty/errors.ts'
import type { Channels } from '../../duty/roster.ts'
import { nextWatch, type Watch, watchAt } from '../../duty/shifts.ts'
import { DUTY_MANAGERS } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import type { dutyRoutes, WatchView } from '../routes/duty.ts'
import type { Handlers } from '../serve.ts'

function viewOf(watch: Watch | undefined): WatchView | null {
  if (watch === undefined) return null
  return { ...watch, from: new Date(watch.from).toISOString(), until: new Date(watch.until).toISOString() }
}

/** A roster change refused becomes a 400 or 404 with its hint. */
async function dutyCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof DutyError)
      throw new ControlApiError(
        err.status,
        err.code,
        err.message,
        err.hint === undefined ? {} : { hint: err.hint },
      )
    throw err
  }
}

/** Every roster change is an admin-action entry with its actor: names and times, never a person's channels. */
export function dutyHandlers(daemon: PocnetDaemon): Handlers<typeof dutyRoutes> {
  const { store } = daemon.duty
  const record = (actor: string, detail: Record<string, string | string[] | null>) =>
    daemon.ledger.append({ kind: 'admin-action', actor: `user:${actor}`, detail })
  return {
    show: async () => {
      const now = daemon.duty.now().getTime()
      const { shifts, covers, people } = store.roster
      return {
        now: new Date(now).toISOString(),
        onDuty: viewOf(watchAt(store.roster, now)),
        next: viewOf(nextWatch(store.roster, now)),
        shifts,
        covers,
        people: people.map((p) => ({ name: p.name, channels: Object.keys(p.channels) })),
      }
    },
    setShift: async (shift, { user }) => {
      await dutyCall(() => store.setShift(shift))
      await record(user.name, {
        action: 'duty-shift-set',
        shift: shift.id,
        officer: shift.officer,
        backup: shift.backup ?? null,
        supervisor: shift.supervisor ?? null,
        days: shift.days,
        start: shift.start,
        end: shift.end,
        timeZone: shift.timeZone,
      })
      return { shift }
    },
    removeShift: async ({ id }, { user }) => {
      await dutyCall(() => store.removeShift(id))
      await record(user.name, { action: 'duty-shift-remove', shift: id })
      return { removed: id }
    },
    swap: async ({ a, b }, { user }) => {
      const officers = await dutyCall(() => store.swap(a, b))
      await record(user.name, { action: 'duty-swap', shifts: [a, b], officers: [officers.a, officers.b] })
      return officers
    },
    cover: async (cover, { user }) => {
      await dutyCall(() => store.cover(cover))
      await record(user.name, {
        action: 'duty-cover',
        cover: cover.id,
        person: cover.person,
        absent: cover.absent,
        from: cover.from,
        until: cover.until,
      })
      return { cover }
    },
    setChannels: async ({ name, channels }, { user }) => {
      if (name !== user.name && !DUTY_MANAGERS.includes(user.role))
        throw new ControlApiError(
          403,
          'ERR_FORBIDDEN',
          `only an operator or a supervisor may set the channels of ${name}`,
          {
            hint: `set your own: pocnet duty person ${user.name} --phone <number>`,
          },
        )
      await dutyCall(() => store.setPerson(name, channels as Channels))
      const kinds = Object.keys(channels)
      await record(user.name, { action: 'duty-person-set', name, channels: kinds })
      return { name, channels: kinds }
    },
  }
}
