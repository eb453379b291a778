export { attachmentOf, formProblems, readForm } from './commands/cases/forms.ts'
export { Context, daemonAnswers } from './context.ts'
export {
  CliError,
  DaemonRunningError,
  EXIT,
  InvalidFormError,
  LedgerInUseError,
  LedgerInvalidError,
  NoTokenError,
  UsageError,
} from './errors.ts'
export { colourEnabled, formatDetail, formatTime } from './output.ts'
export { buildProgram, main, report, VERSION } from './program.ts'
