import { Command, CommanderError, type Option } from 'commander'
import { registerAudit } from './commands/audit.ts'
import { registerBackup } from './commands/backup.ts'
import { registerCases } from './commands/cases/index.ts'
import { registerInit } from './commands/init.ts'
import { registerKey } from './commands/key.ts'
import { registerLedger } from './commands/ledger.ts'
import { registerNode } from './commands/node.ts'
import { registerRoster } from './commands/roster.ts'
import { registerWitness } from './commands/witness.ts'
import { CliError, EXIT } from './errors.ts'
import { examples } from './help.ts'
import { err } from './output.ts'

export const VERSION = '0.1.0'

/** The whole `pocnet` command tree. Parsing never exits the process: errors are thrown (see `main`). */
export function buildProgram(): Command {
  const program = new Command('pocnet')
    .description(
      'pocnet — the 24/7 Network of cybercrime points of contact (Budapest Convention Art. 35), peer to peer.\n' +
        'Operators run a node, contact points send and answer requests, auditors verify the ledger.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .option('--data-dir <dir>', 'node data directory (default: $POCNET_HOME, else ~/.pocnet)')
    .option(
      '--token-file <file>',
      'file holding your control API token (default: $POCNET_TOKEN_FILE, else $POCNET_TOKEN)',
    )
    .option('--tz <zone>', 'IANA time zone to show times in (default: $TZ, else the system zone)')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      outputError: (text, write) => write(err.style('red', text)),
    })
  examples(
    program,
    'pocnet init --help                  # operator: create a node',
    'pocnet request template preservation > req.yaml && pocnet request send --to FR --file req.yaml',
    'pocnet inbox --watch                # contact point: live, rings on a new request',
    'pocnet ledger verify                # auditor: offline check of the whole ledger',
  )
  program.addHelpText(
    'after',
    '\nEnvironment: POCNET_HOME, POCNET_TOKEN, POCNET_TOKEN_FILE, POCNET_PASSPHRASE_FILE, POCNET_PASSPHRASE, NO_COLOR.\n' +
      'Exit codes: 0 ok, 1 failure, 2 usage error.\n',
  )
  registerInit(program)
  registerRoster(program)
  registerKey(program)
  registerNode(program)
  registerBackup(program)
  registerCases(program)
  registerLedger(program)
  registerAudit(program)
  registerWitness(program)
  argumentsBeforeRequiredOptions(program)
  return program
}

/**
 * Commander checks a command's required options before its positional arguments, so
 * `pocnet case ack` (no id) complained about `--by` and only the next try named the missing id.
 * Here every command's required options are checked just before its action instead: after
 * commander has checked the arguments (missing, extra) and unknown options. Same message and
 * code as commander's own check; the help text does not change.
 */
function argumentsBeforeRequiredOptions(program: Command): void {
  const required = new Map<Command, Option[]>()
  const walk = (cmd: Command): void => {
    const mandatory = cmd.options.filter((o) => o.mandatory)
    if (mandatory.length > 0) {
      for (const o of mandatory) o.makeOptionMandatory(false)
      required.set(cmd, mandatory)
    }
    for (const sub of cmd.commands) walk(sub)
  }
  walk(program)
  program.hook('preAction', (_program, action) => {
    // the command's own and its parents' (commander's check covers both)
    for (let cmd: Command | null = action; cmd !== null; cmd = cmd.parent)
      for (const o of required.get(cmd) ?? [])
        if (cmd.getOptionValue(o.attributeName()) === undefined)
          action.error(`error: required option '${o.flags}' not specified`, {
            code: 'commander.missingMandatoryOptionValue',
          })
  })
}

/** Prints an error as `error: …` / `hint: …` on stderr and returns the exit code. */
export function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander printed its own message already
    // --help, --version, `pocnet help <command>`; a group run without its subcommand shows help as an error
    if (e.exitCode === 0) return EXIT.ok
    return EXIT.usage
  }
  if (e instanceof CliError) {
    err.line(err.style('red', `error: ${e.message}`))
    for (const l of e.lines) err.line(l)
    if (e.hint !== undefined) err.line(`hint: ${e.hint}`)
    return e.exitCode
  }
  const message = e instanceof Error ? e.message : String(e)
  err.line(err.style('red', `error: ${message}`))
  const code = (e as { code?: unknown }).code
  if (typeof code !== 'string' && process.env.POCNET_DEBUG) err.line(String((e as Error).stack))
  if (code === 'ERR_PASSPHRASE')
    err.line('hint: set POCNET_PASSPHRASE_FILE to a file holding the key passphrase')
  else if (code === 'ERR_KEY_FILE_DECRYPT' || /passphrase/i.test(message))
    err.line('hint: check the key passphrase')
  return EXIT.failure
}

/** Runs the CLI on `argv` (node, script, ...args) and returns the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  } catch (e) {
    return report(e)
  }
}
