import { type ChildProcess, spawn } from 'node:child_process'
import { open, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { NodeStartError, NodeStopError } from './errors.ts'
import type { FederationNode } from './federation.ts'

/** The daemon's entry point: `node packages/node/src/main.ts --data-dir <dir>`. */
export const DAEMON_MAIN = join(dirname(createRequire(import.meta.url).resolve('@pocnet/node')), 'main.ts')

/** The line a daemon prints on stdout once it serves. */
export interface ReadyInfo {
  ready: true
  peerId: string
  addresses: string[]
  socket: string
}

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A daemon process the harness started. */
export interface DaemonProcess {
  readonly pid: number
  readonly child: ChildProcess
  /** Set once the daemon printed its ready line. */
  ready: ReadyInfo | undefined
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<ExitStatus>
}

export interface SpawnOptions {
  /** Failure guard: how long the daemon may take to print its ready line. */
  readyTimeoutMs?: number
  /** Extra environment for the daemon (e.g. POCNET_LOG_LEVEL). */
  env?: Record<string, string>
  /**
   * A command the daemon runs under, which must exec it in place so the daemon keeps the
   * spawned pid (signals reach it): e.g. `['ip', 'netns', 'exec', ns]` (netnsLauncher).
   */
  launcher?: string[]
}

// Every daemon still alive, so none outlives the test process even when a test forgets it.
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** The last `lines` lines of a node's log file (its daemons' stderr). */
export async function logTail(node: FederationNode, lines = 40): Promise<string> {
  try {
    const text = await readFile(node.logFile, 'utf8')
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log file)'
  }
}

/** The tail of every node's log, for a failing test's output. */
export async function federationLogs(nodes: FederationNode[], lines = 30): Promise<string> {
  const parts: string[] = []
  for (const node of nodes)
    parts.push(`===== ${node.country} (${node.logFile}) =====\n${await logTail(node, lines)}`)
  return parts.join('\n')
}

async function appendLogLine(node: FederationNode, event: string): Promise<void> {
  const log = await open(node.logFile, 'a', 0o600)
  try {
    await log.write(`${JSON.stringify({ harness: event, at: new Date().toISOString() })}\n`)
  } finally {
    await log.close()
  }
}

/**
 * Starts the node's daemon as a separate process and resolves once it prints its ready
 * line. Its stderr (JSON logs) is appended to `node.logFile`. Throws NodeStartError (with
 * the log's tail) if the daemon exits or stays silent past the deadline.
 */
export async function spawnNode(node: FederationNode, options: SpawnOptions = {}): Promise<DaemonProcess> {
  if (node.process !== undefined) {
    throw new NodeStartError(node.country, `a daemon is already running (pid ${node.process.pid})`, '')
  }
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('POCNET_')) delete env[key]
  Object.assign(env, { POCNET_PASSPHRASE_FILE: node.passphraseFile }, options.env)
  const log = await open(node.logFile, 'a', 0o600)
  let child: ChildProcess
  try {
    await log.write(`${JSON.stringify({ harness: 'start', at: new Date().toISOString() })}\n`)
    const [command, ...args] = [
      ...(options.launcher ?? []),
      process.execPath,
      DAEMON_MAIN,
      '--data-dir',
      node.dataDir,
    ]
    child = spawn(command!, args, {
      env,
      stdio: ['ignore', 'pipe', log.fd],
    })
  } finally {
    // the child holds its own copy of the descriptor
    await log.close()
  }
  live.add(child)
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      if (node.process?.child === child) node.process = undefined
      resolve({ code, signal })
    })
  })
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`spawn failed: ${err.message}`)))
  })
  const daemon: DaemonProcess = { pid: child.pid ?? -1, child, ready: undefined, exited }
  node.process = daemon
  const ready = new Promise<ReadyInfo>((resolve) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (daemon.ready !== undefined) return
      try {
        const parsed = JSON.parse(line) as Partial<ReadyInfo>
        if (parsed.ready === true) {
          daemon.ready = parsed as ReadyInfo
          resolve(daemon.ready)
        }
      } catch {
        // not the ready line: ignore
      }
    })
  })
  const timeoutMs = options.readyTimeoutMs ?? 60_000
  let timer: ReturnType<typeof setTimeout> | undefined
  const tooLate = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  let failure: string
  try {
    const outcome = await Promise.race([ready, exited, tooLate, spawnFailed])
    if (outcome === 'timeout') failure = `no ready line within ${timeoutMs} ms`
    else if ('code' in outcome)
      failure = `exited before serving (code ${outcome.code}, signal ${outcome.signal})`
    else return daemon
  } catch (err) {
    failure = (err as Error).message
  } finally {
    clearTimeout(timer)
  }
  if (child.pid !== undefined) {
    child.kill('SIGKILL')
    await exited
  } else {
    live.delete(child)
    node.process = undefined
  }
  throw new NodeStartError(node.country, failure, await logTail(node))
}

export interface StopOptions {
  /** Failure guard: how long after SIGTERM the daemon may take to exit before SIGKILL. */
  timeoutMs?: number
  /** Throw NodeStopError unless the daemon exits with code 0 (default true). */
  expectClean?: boolean
}

/** SIGTERM, then waits for the exit; returns undefined if the node was not running. */
export async function stopNode(
  node: FederationNode,
  options: StopOptions = {},
): Promise<ExitStatus | undefined> {
  const daemon = node.process
  if (daemon === undefined) return undefined
  const timeoutMs = options.timeoutMs ?? 30_000
  daemon.child.kill('SIGTERM')
  let timer: ReturnType<typeof setTimeout> | undefined
  const tooLate = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const outcome = await Promise.race([daemon.exited, tooLate])
  clearTimeout(timer)
  if (outcome === 'timeout') {
    daemon.child.kill('SIGKILL')
    await daemon.exited
    await appendLogLine(node, 'sigkill-after-stop-timeout')
    throw new NodeStopError(node.country, `still running ${timeoutMs} ms after SIGTERM`, await logTail(node))
  }
  if ((options.expectClean ?? true) && outcome.code !== 0) {
    throw new NodeStopError(
      node.country,
      `exited with code ${outcome.code}, signal ${outcome.signal} after SIGTERM`,
      await logTail(node),
    )
  }
  return outcome
}

/** SIGKILL (the crash), then waits for the exit; returns undefined if the node was not running. */
export async function killNode(node: FederationNode): Promise<ExitStatus | undefined> {
  const daemon = node.process
  if (daemon === undefined) return undefined
  daemon.child.kill('SIGKILL')
  const status = await daemon.exited
  await appendLogLine(node, 'sigkill').catch(() => {})
  return status
}

/** Stops the node (SIGTERM, or SIGKILL with `kill: true`) and starts it again. */
export async function restartNode(
  node: FederationNode,
  options: SpawnOptions & StopOptions & { kill?: boolean } = {},
): Promise<DaemonProcess> {
  if (options.kill) await killNode(node)
  else await stopNode(node, options)
  return spawnNode(node, options)
}
