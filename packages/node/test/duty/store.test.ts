import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Role } from '../../src/control/roles.ts'
import { DutyError } from '../../src/duty/errors.ts'
import type { Shift } from '../../src/duty/roster.ts'
import { DutyStore } from '../../src/duty/store.ts'

const ROLES: Record<string, Role> = { alice: 'contact', bob: 'contact', sue: 'supervisor', olga: 'operator' }
const roleOf = (name: string) => ROLES[name]

const day: Shift = {
  id: 'day',
  officer: 'alice',
  backup: 'bob',
  supervisor: 'sue',
  timeZone: 'Europe/Paris',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '20:00',
}

describe('duty store', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-duty-store-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps shifts, swaps, covers and channels across a reopen, in a 0600 file', async () => {
    const store = await DutyStore.open(dir, roleOf)
    await store.setShift(day)
    await store.setShift({
      ...day,
      id: 'night',
      officer: 'bob',
      backup: 'alice',
      start: '20:00',
      end: '08:00',
    })
    await store.setPerson('alice', { phone: '+33612345678' })
    await store.cover({
      id: 'c1',
      person: 'bob',
      absent: 'alice',
      from: '2026-07-13T06:00:00Z',
      until: '2026-07-14T06:00:00Z',
    })
    await expect(store.swap('day', 'night')).rejects.toThrow(
      'swap: bob is the backup of shift "day" and cannot be its officer too',
    )
    await store.setShift({
      ...day,
      id: 'night',
      officer: 'bob',
      backup: undefined as never,
      start: '20:00',
      end: '08:00',
    })
    const reopened = await DutyStore.open(dir, roleOf)
    expect(reopened.roster.shifts.map((s) => s.officer)).toEqual(['alice', 'bob'])
    expect(reopened.channelsOf('alice')).toEqual({ phone: '+33612345678' })
    expect(reopened.roster.covers).toHaveLength(1)
    const text = await readFile(join(dir, 'duty.json'), 'utf8')
    expect(JSON.parse(text).shifts).toHaveLength(2)
  })

  it('refuses who may not hold a place, naming the field and the rule', async () => {
    const store = await DutyStore.open(dir, roleOf)
    const refused = async (work: () => Promise<unknown>, message: RegExp) => {
      const err = await work().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(DutyError)
      expect((err as Error).message).toMatch(message)
      return err as DutyError
    }
    expect(
      (await refused(() => store.setShift({ ...day, officer: 'zed' }), /officer: no user "zed"/)).hint,
    ).toMatch(/pocnet user add zed/)
    await refused(
      () => store.setShift({ ...day, officer: 'olga' }),
      /officer: olga is a user with role operator/,
    )
    await refused(() => store.setShift({ ...day, supervisor: 'bob' }), /supervisor: .*needs role supervisor/)
    await refused(
      () => store.setShift({ ...day, timeZone: 'Etc/GMT+1' }),
      /timeZone: "Etc\/GMT\+1" is refused/,
    )
    await refused(() => store.setShift({ ...day, start: '24:00' }), /start: must be a local time "HH:MM"/)
    await refused(
      () => store.setShift({ ...day, backup: 'alice' }),
      /backup: must be someone other than the officer/,
    )
    await refused(
      () => store.setPerson('alice', { phone: '0612' }),
      /phone: must be a phone number in E.164 form/,
    )
    await refused(() => store.swap('day', 'none'), /no shift "day"/)
    await store.setShift(day)
    await refused(
      () =>
        store.cover({
          id: 'c2',
          person: 'bob',
          absent: 'sue',
          from: '2026-07-13T06:00:00Z',
          until: '2026-07-14T06:00:00Z',
        }),
      /person: bob is a user with role contact; this place needs role supervisor/,
    )
    await refused(
      () =>
        store.cover({
          id: 'c3',
          person: 'bob',
          absent: 'alice',
          from: '2026-07-14T06:00:00Z',
          until: '2026-07-13T06:00:00Z',
        }),
      /until: must be after from/,
    )
    expect((await DutyStore.open(dir, roleOf)).roster.shifts).toEqual([day])
  })

  it('refuses a damaged duty.json at open, naming the field', async () => {
    await writeFile(
      join(dir, 'duty.json'),
      JSON.stringify({ people: [], shifts: [{ ...day, timeZone: 'Etc/GMT-2' }], covers: [] }),
    )
    await expect(DutyStore.open(dir, roleOf)).rejects.toThrow(
      /duty\.json: the duty roster cannot be read \(shifts\[0\]\.timeZone: "Etc\/GMT-2" is refused/,
    )
  })
})
