/** Exit codes of the `pocnet` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/** A failure the CLI reports as `error: <message>` (and `hint: <hint>`), exiting with `exitCode`. */
export class CliError extends Error {
  readonly code: string
  readonly hint: string | undefined
  readonly exitCode: number
  /** Extra lines printed after the message (e.g. every problem of a request form). */
  readonly lines: readonly string[]
  /** The daemon's machine-readable details of the error, when it came from the daemon. */
  readonly details: unknown
  constructor(
    code: string,
    message: string,
    opts: { hint?: string; exitCode?: number; lines?: string[]; details?: unknown } = {},
  ) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.hint = opts.hint
    this.exitCode = opts.exitCode ?? EXIT.failure
    this.lines = opts.lines ?? []
    this.details = opts.details
  }
}

/** The command line itself is wrong (exit 2), found after commander parsed it. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super('ERR_USAGE', message, { exitCode: EXIT.usage, ...(hint === undefined ? {} : { hint }) })
  }
}

/** No token to call the daemon with. */
export class NoTokenError extends CliError {
  constructor() {
    super('ERR_NO_TOKEN', 'no control API token', {
      hint: 'set POCNET_TOKEN, or pass --token-file <file> (the token `pocnet init` or `pocnet user add` showed)',
    })
  }
}

/** An offline command needs the daemon stopped (backup, restore) and it answers on its socket. */
export class DaemonRunningError extends CliError {
  constructor(socket: string) {
    super('ERR_DAEMON_RUNNING', `a pocnet daemon is running on this data directory (${socket} answers)`, {
      hint: 'stop it first (systemctl stop pocnet, or Ctrl-C on `pocnet start`), then run this again',
    })
  }
}

/**
 * An offline command needs the daemon stopped (backup, restore) and another process holds the
 * node's ledger: a daemon still starting (upgrading its ledger, rebuilding its cases) has no
 * socket yet, but it holds the ledger's lock already.
 */
export class LedgerInUseError extends CliError {
  constructor(ledger: string) {
    super(
      'ERR_LEDGER_IN_USE',
      `another process holds this node's ledger (${ledger}): a pocnet daemon still starting, with no socket yet, or another pocnet command`,
      {
        hint: 'wait for it, or stop it (systemctl stop pocnet, or Ctrl-C on `pocnet start`), then run this again',
      },
    )
  }
}

/** A request form has problems: every one of them is listed, nothing was sent. */
export class InvalidFormError extends CliError {
  readonly problems: ReadonlyArray<{ path: string; rule: string; message: string }>
  constructor(file: string, problems: ReadonlyArray<{ path: string; rule: string; message: string }>) {
    super(
      'ERR_INVALID_REQUEST',
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was sent`,
      {
        lines: problems.map((p) => `  ${p.path || '(form)'}: ${p.message} [${p.rule}]`),
        hint: 'fix the fields above and run the command again (`pocnet request template <type>` shows the form)',
      },
    )
    this.problems = problems
  }
}

/** The offline ledger verifier found a problem. */
export class LedgerInvalidError extends CliError {
  readonly seq: number | undefined
  constructor(reason: string, seq: number | undefined, hint?: string) {
    super(
      'ERR_LEDGER_INVALID',
      seq === undefined ? `ledger invalid: ${reason}` : `ledger invalid at entry ${seq}: ${reason}`,
      hint === undefined ? {} : { hint },
    )
    this.seq = seq
  }
}
