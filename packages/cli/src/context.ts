import { connect } from 'node:net'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { RosterState } from '@pocnet/directory/offline'
import {
  type AnyRoute,
  type CallArgs,
  ControlCallError,
  ControlClient,
  DATA_DIR,
  DaemonUnreachableError,
  type ResponseOf,
} from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { CliError, NoTokenError } from './errors.ts'
import { readInputFile } from './input-file.ts'
import { displayZone } from './output.ts'

/** Most bytes of a token file: a token is one line of 46 characters, with room for blank lines. */
const MAX_TOKEN_FILE_BYTES = 1024

/** The options every command inherits from `pocnet`. */
export interface GlobalOptions {
  dataDir?: string
  tokenFile?: string
  /** --tz (commander names the attribute after the flag) */
  tz?: string
}

/** What a command needs from its surroundings: where the node lives and how to reach it. */
export class Context {
  readonly dataDir: string
  readonly zone: string
  readonly #tokenFile: string | undefined
  readonly #env: NodeJS.ProcessEnv

  constructor(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env) {
    this.#env = env
    this.dataDir = resolve(globals.dataDir ?? env.POCNET_HOME ?? join(homedir(), '.pocnet'))
    this.#tokenFile = globals.tokenFile ?? (env.POCNET_TOKEN_FILE || undefined)
    this.zone = displayZone(globals.tz, env)
  }

  static of(command: Command): Context {
    return new Context(command.optsWithGlobals<GlobalOptions>())
  }

  get socketPath(): string {
    return join(this.dataDir, DATA_DIR.socket)
  }

  path(file: keyof typeof DATA_DIR): string {
    return join(this.dataDir, DATA_DIR[file])
  }

  /** The roster this data directory holds, verified; undefined when it holds none that is readable and valid. */
  async localRoster(): Promise<RosterState | undefined> {
    return readLocalRoster(this.path('roster'))
  }

  async token(): Promise<string> {
    if (this.#tokenFile !== undefined) {
      const bytes = await readInputFile(this.#tokenFile, {
        what: 'token file',
        maxBytes: MAX_TOKEN_FILE_BYTES,
        why: 'a token is one line of 46 characters (pn_ and 43 of base64url)',
        code: 'ERR_TOKEN_FILE',
        hint: 'check the path given to --token-file or POCNET_TOKEN_FILE',
      })
      const token = bytes.toString('utf8').trim()
      if (token === '') throw new CliError('ERR_TOKEN_FILE', `token file ${this.#tokenFile} is empty`)
      return token
    }
    const token = this.#env.POCNET_TOKEN?.trim()
    if (token === undefined || token === '') throw new NoTokenError()
    return token
  }

  /** Where the token `token()` reads comes from, as an operator would name it. */
  get tokenSource(): string {
    if (this.#tokenFile === undefined) return 'POCNET_TOKEN'
    return this.#env.POCNET_TOKEN_FILE === this.#tokenFile
      ? `POCNET_TOKEN_FILE (${this.#tokenFile})`
      : `--token-file ${this.#tokenFile}`
  }

  /** Calls a route of the control API; daemon errors become CliErrors carrying the daemon's hint. */
  async call<R extends AnyRoute>(route: R, ...args: CallArgs<R>): Promise<ResponseOf<R>> {
    const client = new ControlClient(this.socketPath, await this.token())
    try {
      return await client.call(route, ...args)
    } catch (e) {
      throw controlError(e, this.tokenSource)
    }
  }
}

/**
 * Maps the control client's errors to what the CLI prints; a 401 names `tokenSource`, where the
 * token refused came from, when the caller knows it.
 */
export function controlError(e: unknown, tokenSource?: string): unknown {
  if (e instanceof DaemonUnreachableError) {
    return new CliError(e.code, e.message, {
      hint: 'start the node with `pocnet start` (or `systemctl start pocnet`), or point --data-dir / POCNET_HOME at it',
    })
  }
  if (e instanceof ControlCallError) {
    const problems = (e.details as { problems?: unknown } | undefined)?.problems
    const lines = Array.isArray(problems)
      ? problems.map(
          (p: { path?: string; message?: string; rule?: string }) =>
            `  ${p.path || '(form)'}: ${p.message} [${p.rule}]`,
        )
      : []
    let hint = e.hint
    if (e.status === 401 && tokenSource !== undefined) hint = refusedTokenHint(e.code, tokenSource, hint)
    if (hint === undefined && e.status === 401) hint = 'check POCNET_TOKEN or --token-file'
    if (hint === undefined && e.status === 404 && e.code === 'ERR_NOT_FOUND')
      hint = 'this daemon does not serve that endpoint: is it older than this CLI?'
    // the daemon's message repeats every problem on one line; they are listed one a line below it
    let message = e.message
    if (lines.length > 0) {
      const colon = message.indexOf(': ')
      message = `${colon > 0 ? message.slice(0, colon) : message}: ${lines.length} problem${lines.length === 1 ? '' : 's'}`
    }
    return new CliError(e.code, `${message} (${e.status})`, {
      lines,
      details: e.details,
      ...(hint === undefined ? {} : { hint }),
    })
  }
  return e
}

/** The hint of a 401: what is wrong with the token, naming where it came from. */
function refusedTokenHint(code: string, source: string, daemonHint: string | undefined): string {
  if (code === 'ERR_TOKEN_EXPIRED')
    return `the token from ${source} has expired: ${daemonHint ?? 'ask an operator for a new one'}`
  const fix =
    source === 'POCNET_TOKEN'
      ? 'set POCNET_TOKEN to'
      : `put in ${source.slice(source.indexOf(source.startsWith('--') ? ' ' : '(') + 1).replace(/\)$/, '')}`
  // the fix first: what to do is what a reader looks for
  return `${fix} a token from \`pocnet user add\` or \`pocnet user token rotate\`: the token from ${source} is not one this node knows (removed, rotated, or another node's)`
}

/** Whether a daemon answers on the socket (any answer counts, even a refusal). */
export function daemonAnswers(socketPath: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(socketPath)
    const timer = setTimeout(() => {
      socket.destroy()
      done(false)
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.end()
      done(true)
    })
    socket.once('error', () => {
      clearTimeout(timer)
      done(false)
    })
  })
}

/** The verified roster chain file at `path`, as its latest state; undefined when it is missing or invalid. */
export async function readLocalRoster(path: string): Promise<RosterState | undefined> {
  // loaded here, not at the top: it brings @pocnet/crypto, which a command that only calls the
  // daemon must not pay for at start
  const { readRosterChainFile, verifyRosterChain } = await import('@pocnet/directory/offline')
  try {
    return verifyRosterChain(await readRosterChainFile(path)).state
  } catch {
    return undefined
  }
}
