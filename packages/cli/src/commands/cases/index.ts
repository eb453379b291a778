import type { Command } from 'commander'
import { registerCase } from './case.ts'
import { registerInbox } from './inbox.ts'
import { registerRequest } from './request.ts'

export { attachmentOf, formProblems, readForm } from './forms.ts'

/** The contact point's commands: send requests, follow the inbox, answer and follow cases. */
export function registerCases(program: Command): void {
  registerRequest(program)
  registerInbox(program)
  registerCase(program)
}
