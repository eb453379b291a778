/** Base class of the harness's own failures (never a daemon's answer: those are ControlCallError). */
export class HarnessError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** `waitFor` gave up: the condition never held before the deadline. */
export class WaitTimeoutError extends HarnessError {
  /** The last error the predicate threw, if its last attempt threw. */
  readonly lastError: unknown
  constructor(description: string, timeoutMs: number, attempts: number, lastError: unknown) {
    const last =
      lastError === undefined ? '' : `; last error: ${String((lastError as Error).message ?? lastError)}`
    super(
      'ERR_WAIT_TIMEOUT',
      `timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${description}${last}`,
    )
    this.lastError = lastError
  }
}

/** A daemon exited, or never said it was ready, before serving. */
export class NodeStartError extends HarnessError {
  constructor(country: string, reason: string, logTail: string) {
    super('ERR_NODE_START', `node ${country} did not start: ${reason}\n--- last log lines ---\n${logTail}`)
  }
}

/** A daemon did not exit cleanly after SIGTERM. */
export class NodeStopError extends HarnessError {
  constructor(country: string, reason: string, logTail: string) {
    super(
      'ERR_NODE_STOP',
      `node ${country} did not stop cleanly: ${reason}\n--- last log lines ---\n${logTail}`,
    )
  }
}
