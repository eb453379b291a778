import type { PocnetDaemon } from '../../daemon.ts'
import { CONTROL_ROUTES } from '../routes/index.ts'
import { testClockRoutes } from '../routes/test-clock.ts'
import { serveRoutes } from '../serve.ts'
import type { Route } from '../server.ts'
import type { UserStore } from '../users.ts'
import { attachmentHandlers } from './attachments.ts'
import { caseHandlers } from './cases.ts'
import { counterpartHandlers } from './counterpart.ts'
import { directoryHandlers } from './directory.ts'
import { drillHandlers } from './drills.ts'
import { dutyHandlers } from './duty.ts'
import { intakeHandlers } from './intake.ts'
import { ledgerHandlers } from './ledger.ts'
import { messageHandlers } from './messages.ts'
import { statusHandlers } from './status.ts'
import { type TestClock, testClockHandlers } from './test-clock.ts'
import { userHandlers } from './users.ts'
import { witnessHandlers } from './witness.ts'

/**
 * The control API routes of the node daemon, each served from its declaration; the CLI is their
 * client. With `testClock` (a daemon started with POCNET_TEST_CLOCK=1), the route that moves it too.
 */
export function nodeRoutes(daemon: PocnetDaemon, users: UserStore, testClock?: TestClock): Route[] {
  return [
    ...serveRoutes(CONTROL_ROUTES.status, statusHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.messages, messageHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.directory, directoryHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.cases, caseHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.counterpart, counterpartHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.ledger, ledgerHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.users, userHandlers(daemon, users)),
    ...serveRoutes(CONTROL_ROUTES.witness, witnessHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.drills, drillHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.duty, dutyHandlers(daemon)),
    ...(testClock === undefined ? [] : serveRoutes(testClockRoutes, testClockHandlers(daemon, testClock))),
    ...serveRoutes(CONTROL_ROUTES.intake, intakeHandlers(daemon)),
    ...serveRoutes(CONTROL_ROUTES.attachments, attachmentHandlers(daemon)),
  ]
}
