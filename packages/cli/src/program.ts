import { Command, CommanderError, type Option } from 'commander'
import { COMMAND_MODULES, type Register } from './commands/table.ts'
import { CliError, EXIT } from './errors.ts'
import { examples } from './help.ts'
import { err } from './output.ts'

export const VERSION = '0.1.0'

/** The whole `pocnet` command tree. Parsing never exits the process: errors are thrown (see `main`). */
export async function buildProgram(): Promise<Command> {
  return programWith(await Promise.all(COMMAND_MODULES.map((m) => m.load())))
}

/** `pocnet` with its global options and help, declaring the commands of `registers` only. */
function programWith(registers: readonly Register[]): Command {
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
  for (const register of registers) register(program)
  argumentsBeforeRequiredOptions(program)
  return program
}

/**
 * The program for one run: only the module of the command `argv` names is loaded (see
 * COMMAND_MODULES), or every module when it names none of them (help, a misspelt name).
 */
export async function programFor(argv: readonly string[]): Promise<Command> {
  const name = commandNameOf(programWith([]), argv.slice(2))
  const named = COMMAND_MODULES.find((m) => name !== undefined && m.names.includes(name))
  if (named === undefined) return buildProgram()
  return programWith([await named.load()])
}

/**
 * The first operand of `args`, after the global options (and their values); undefined when an
 * argument before it is not a global option (`-h`, `--`, a typo): commander then needs the
 * whole tree to answer as it always did.
 */
function commandNameOf(root: Command, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-')) return arg
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined]
    const option = root.options.find((o) => o.long === flag || o.short === flag)
    if (option === undefined || option.long === '--version' || option.long === '--help') return undefined
    if (inline === undefined && (option.required || option.optional)) i++
  }
  return undefined
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
  try {
    const program = await programFor(argv)
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  } catch (e) {
    return report(e)
  }
}
