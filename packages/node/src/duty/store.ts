import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '@pocnet/crypto'
import { DATA_DIR } from '../constants.ts'
import type { Role } from '../control/roles.ts'
import { DutyError, DutyFileError } from './errors.ts'
import {
  type Channels,
  type Cover,
  channelProblems,
  checkRoster,
  coverProblems,
  type DutyRoster,
  type Shift,
  shiftProblems,
} from './roster.ts'

/** Who may hold a place on the roster: the roles of the control API that answer the desk. */
export const ON_DUTY_ROLES: readonly Role[] = ['contact', 'supervisor']

/**
 * The duty roster, in `<dataDir>/duty.json` (0600): saved whole and atomically before it is
 * taken as the roster in memory, one change after another, as the user store does.
 */
export class DutyStore {
  readonly #file: string
  readonly #roleOf: (name: string) => Role | undefined
  #roster: DutyRoster
  #changes: Promise<void> = Promise.resolve()

  private constructor(file: string, roster: DutyRoster, roleOf: (name: string) => Role | undefined) {
    this.#file = file
    this.#roster = roster
    this.#roleOf = roleOf
  }

  /** Opens the roster; `roleOf` gives a control-API user's role (undefined: no such user). */
  static async open(dataDir: string, roleOf: (name: string) => Role | undefined): Promise<DutyStore> {
    const file = join(dataDir, DATA_DIR.duty)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return new DutyStore(file, { people: [], shifts: [], covers: [] }, roleOf)
      throw err
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new DutyFileError(file, `not valid JSON: ${(err as Error).message}`)
    }
    const checked = checkRoster(parsed)
    if (Array.isArray(checked)) throw new DutyFileError(file, checked.join('; '))
    return new DutyStore(file, checked, roleOf)
  }

  get roster(): DutyRoster {
    return this.#roster
  }

  channelsOf(name: string): Channels {
    return this.#roster.people.find((p) => p.name === name)?.channels ?? {}
  }

  /** Sets a person's alert channels (replacing the ones before). */
  async setPerson(name: string, channels: Channels): Promise<void> {
    const problems = channelProblems(channels)
    if (problems.length > 0) throw new DutyError('ERR_DUTY_FIELD', problems.join('; '))
    this.#eligible(name, 'person')
    return this.#change((r) => ({
      ...r,
      people: [...r.people.filter((p) => p.name !== name), { name, channels: { ...channels } }],
    }))
  }

  /** Adds a shift, or replaces the one with its id. */
  async setShift(shift: Shift): Promise<void> {
    const problems = shiftProblems(shift as unknown as Record<string, unknown>)
    if (problems.length > 0)
      throw new DutyError('ERR_DUTY_FIELD', problems.join('; '), {
        hint: 'e.g. --officer alice --days mon,tue,wed,thu,fri --start 08:00 --end 20:00 --tz Europe/Paris',
      })
    this.#eligible(shift.officer, 'officer')
    if (shift.backup !== undefined) this.#eligible(shift.backup, 'backup')
    if (shift.supervisor !== undefined) this.#eligible(shift.supervisor, 'supervisor', ['supervisor'])
    if (shift.backup !== undefined && shift.backup === shift.officer)
      throw new DutyError('ERR_DUTY_FIELD', 'backup: must be someone other than the officer')
    return this.#change((r) => {
      const at = r.shifts.findIndex((s) => s.id === shift.id)
      const shifts = [...r.shifts]
      if (at < 0) shifts.push(shift)
      else shifts[at] = shift
      return { ...r, shifts }
    })
  }

  removeShift(id: string): Promise<void> {
    return this.#change((r) => {
      this.#shift(r, id)
      return { ...r, shifts: r.shifts.filter((s) => s.id !== id) }
    })
  }

  /** Exchanges the officers of two shifts (their backups and supervisors stay). */
  swap(a: string, b: string): Promise<{ a: string; b: string }> {
    if (a === b) throw new DutyError('ERR_DUTY_FIELD', `swap: the two shifts must differ (both "${a}")`)
    let result = { a: '', b: '' }
    return this.#change((r) => {
      const first = this.#shift(r, a)
      const second = this.#shift(r, b)
      for (const [shift, officer] of [
        [first, second.officer],
        [second, first.officer],
      ] as const)
        if (shift.backup === officer)
          throw new DutyError(
            'ERR_DUTY_SWAP',
            `swap: ${officer} is the backup of shift "${shift.id}" and cannot be its officer too`,
            {
              hint: `set another backup on "${shift.id}" first (pocnet duty set ${shift.id} --backup <name>)`,
            },
          )
      result = { a: second.officer, b: first.officer }
      return {
        ...r,
        shifts: r.shifts.map((s) =>
          s.id === a ? { ...s, officer: second.officer } : s.id === b ? { ...s, officer: first.officer } : s,
        ),
      }
    }).then(() => result)
  }

  /** Adds a cover: `person` holds every place of `absent` for its time. */
  async cover(cover: Cover): Promise<void> {
    const problems = coverProblems(cover as unknown as Record<string, unknown>)
    if (problems.length > 0) throw new DutyError('ERR_DUTY_FIELD', problems.join('; '))
    const supervises = this.#roster.shifts.some((s) => s.supervisor === cover.absent)
    this.#eligible(cover.person, 'person', supervises ? ['supervisor'] : ON_DUTY_ROLES)
    return this.#change((r) => {
      if (r.covers.some((c) => c.id === cover.id))
        throw new DutyError('ERR_DUTY_EXISTS', `cover "${cover.id}" exists already`)
      return { ...r, covers: [...r.covers, cover] }
    })
  }

  #shift(r: DutyRoster, id: string): Shift {
    const found = r.shifts.find((s) => s.id === id)
    if (found === undefined)
      throw new DutyError('ERR_DUTY_UNKNOWN', `no shift "${id}" on the roster`, {
        status: 404,
        hint: 'see `pocnet duty show` for the shifts',
      })
    return found
  }

  #eligible(name: string, field: string, roles: readonly Role[] = ON_DUTY_ROLES): void {
    const role = this.#roleOf(name)
    if (role === undefined)
      throw new DutyError('ERR_DUTY_PERSON', `${field}: no user "${name}" on this node`, {
        hint: `add them first: pocnet user add ${name} --role ${roles[0]}`,
      })
    if (!roles.includes(role))
      throw new DutyError(
        'ERR_DUTY_PERSON',
        `${field}: ${name} is a user with role ${role}; this place needs role ${roles.join(' or ')}`,
      )
  }

  #change(make: (roster: DutyRoster) => DutyRoster): Promise<void> {
    const run = this.#changes.then(async () => {
      const next = make(this.#roster)
      await writeFileAtomic(this.#file, Buffer.from(`${JSON.stringify(next, null, 2)}\n`), 0o600)
      this.#roster = next
    })
    this.#changes = run.then(
      () => {},
      () => {},
    )
    return run
  }
}
