import { join } from 'node:path'
import { DATA_DIR, STOP_TIMEOUT_MS } from './constants.ts'
import { nodeRoutes } from './control/handlers/index.ts'
import { TestClock } from './control/handlers/test-clock.ts'
import { TEST_CLOCK_ENV } from './control/routes/test-clock.ts'
import { checkControlSocketPath, startControlServer } from './control/server.ts'
import { UserStore } from './control/users.ts'
import { PocnetDaemon } from './daemon.ts'
import { createLogger, type LogLevel } from './log.ts'
import { obtainPassphrase } from './passphrase.ts'

export interface RunOptions {
  dataDir: string
  logLevel?: LogLevel
  /** Told once the daemon serves (the CLI prints it; tests wait for it). */
  onReady?: (info: { peerId: string; addresses: string[]; socket: string }) => void
}

/**
 * Runs a daemon in the foreground until SIGTERM or SIGINT; returns the exit code. The
 * ledger records every control call with its user (Second Protocol Art. 14 for auditors).
 */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const log = createLogger({
    level: opts.logLevel ?? (process.env.POCNET_LOG_LEVEL as LogLevel | undefined) ?? 'info',
  })
  // Signals are caught from the first moment: a stop asked for during start-up waits for the
  // start to finish and then stops cleanly, and a repeated signal never kills a stopping node.
  const stopAsked = Promise.withResolvers<string>()
  const stopping = new AbortController()
  let signalled: string | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) {
      log.warn('node.signal-ignored', { signal, reason: `already stopping after ${signalled}` })
      return
    }
    signalled = signal
    log.info('node.signal', { signal })
    stopAsked.resolve(signal)
    stopping.abort()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  const startFailed = (err: unknown): number => {
    log.error('node.start-failed', { error: (err as Error).message, code: (err as { code?: string }).code })
    return 1
  }
  const socket = join(opts.dataDir, DATA_DIR.socket)
  // end-to-end tests move the case clock through the control API instead of waiting for deadlines
  const testClock = process.env[TEST_CLOCK_ENV] === '1' ? new TestClock() : undefined
  if (testClock !== undefined)
    log.warn('node.test-clock', {
      reason: `${TEST_CLOCK_ENV}=1: the case clock moves through the control API (tests only)`,
    })
  let daemon: PocnetDaemon
  let users: UserStore
  try {
    const passphrase = await obtainPassphrase(process.env, undefined, stopping.signal)
    // read, it has no business in the environment of what the node starts (the notification hook)
    delete process.env.POCNET_PASSPHRASE
    // users first: a damaged users file must stop the start before the node joins the network,
    users = await UserStore.open(opts.dataDir)
    // and a socket path that cannot work: better now than after joining the network
    await checkControlSocketPath(socket)
    const known = users
    daemon = await PocnetDaemon.start({
      dataDir: opts.dataDir,
      passphrase,
      log,
      roleOf: (name) => known.list().find((u) => u.name === name)?.role,
      ...(testClock === undefined ? {} : { caseClock: () => testClock.now() }),
    })
  } catch (err) {
    return startFailed(err)
  }
  let server: Awaited<ReturnType<typeof startControlServer>>
  try {
    server = await startControlServer({
      socketPath: socket,
      users,
      routes: nodeRoutes(daemon, users, testClock),
      log: log.child('control'),
      onCall: async (user, method, path, status, noted) => {
        // reads by auditors and investigators are recorded too: neither is the desk's own staff
        if (method === 'GET' && user.role !== 'auditor' && user.role !== 'investigator') return
        await daemon.ledger.append({
          kind: user.role === 'auditor' ? 'auditor-access' : 'admin-action',
          actor: `user:${user.name}`,
          detail: { ...noted, method, path, status },
        })
      },
    })
  } catch (err) {
    // the node is up but cannot be reached or stopped through its socket: take it down again
    await daemon.stop().catch((stopErr: unknown) => log.error('node.stop-failed', { error: String(stopErr) }))
    return startFailed(err)
  }
  daemon.attachControlServer(server)
  const ready = {
    peerId: daemon.identity.peerId.toString(),
    addresses: daemon.host.getMultiaddrs().map(String),
    socket,
  }
  if (opts.onReady) opts.onReady(ready)
  else process.stdout.write(`${JSON.stringify({ ready: true, ...ready })}\n`)

  await stopAsked.promise
  const timer = setTimeout(() => {
    log.error('node.stop-timeout', { afterMs: 2 * STOP_TIMEOUT_MS })
    process.exit(1)
  }, 2 * STOP_TIMEOUT_MS)
  timer.unref()
  try {
    await daemon.stop()
    return 0
  } catch (err) {
    log.error('node.stop-failed', { error: String(err) })
    return 1
  } finally {
    clearTimeout(timer)
  }
}
