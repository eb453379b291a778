import { attachmentRoutes } from './attachments.ts'
import { caseRoutes } from './cases.ts'
import { counterpartRoutes } from './counterpart.ts'
import { directoryRoutes } from './directory.ts'
import { drillRoutes } from './drills.ts'
import { dutyRoutes } from './duty.ts'
import { intakeRoutes } from './intake.ts'
import { ledgerRoutes } from './ledger.ts'
import { messageRoutes } from './messages.ts'
import { statusRoutes } from './status.ts'
import { userRoutes } from './users.ts'
import { witnessRoutes } from './witness.ts'

export * from './attachments.ts'
export * from './cases.ts'
export * from './counterpart.ts'
export * from './directory.ts'
export * from './drills.ts'
export * from './duty.ts'
export * from './intake.ts'
export * from './ledger.ts'
export * from './messages.ts'
export * from './status.ts'
export * from './users.ts'
export * from './witness.ts'

/** Every route of the control API, by area: what the daemon serves, and all its clients may call. */
export const CONTROL_ROUTES = {
  status: statusRoutes,
  messages: messageRoutes,
  directory: directoryRoutes,
  cases: caseRoutes,
  counterpart: counterpartRoutes,
  ledger: ledgerRoutes,
  users: userRoutes,
  witness: witnessRoutes,
  drills: drillRoutes,
  duty: dutyRoutes,
  intake: intakeRoutes,
  attachments: attachmentRoutes,
}
