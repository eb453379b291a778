import type { PocnetDaemon } from '../../daemon.ts'
import type { testClockRoutes } from '../routes/test-clock.ts'
import type { Handlers } from '../serve.ts'

/** The offset of the case clock from real time, which the test-only route moves. */
export class TestClock {
  offsetMs = 0
  now(): number {
    return Date.now() + this.offsetMs
  }
}

export function testClockHandlers(daemon: PocnetDaemon, clock: TestClock): Handlers<typeof testClockRoutes> {
  return {
    set: async ({ offsetMs }) => {
      clock.offsetMs = offsetMs
      await daemon.cases.checkClocks()
      await daemon.duty.pager.check()
      return { now: new Date(clock.now()).toISOString() }
    },
  }
}
