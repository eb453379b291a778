import { OPERATORS, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject } from '../fields.ts'

/** The environment variable that, set to 1 at the daemon's start, serves `testClockRoutes`. */
export const TEST_CLOCK_ENV = 'POCNET_TEST_CLOCK'

/**
 * For end-to-end tests only, served when the daemon starts with POCNET_TEST_CLOCK=1: moves the
 * node's case clock (deadlines, alerts, pages; the wire keeps real time) by `offsetMs` from real
 * time, then runs the clock checks at once, so a test sees a deadline pass without waiting for it.
 */
export const testClockRoutes = {
  set: route<{ body: { offsetMs: number } }, { now: string }>()({
    method: 'POST',
    path: '/test/clock',
    roles: OPERATORS,
    parse: ({ body }) => {
      const { offsetMs } = bodyObject(body)
      if (typeof offsetMs !== 'number' || !Number.isSafeInteger(offsetMs))
        throw new ControlApiError(400, 'ERR_FIELD', 'offsetMs: must be a whole number of milliseconds')
      return { offsetMs }
    },
  }),
}
