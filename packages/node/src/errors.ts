/** Base class of the node's deliberate errors. */
export class NodeError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

export interface ConfigProblem {
  path: string
  message: string
}

/** The config file is missing, unreadable or breaks a rule; lists every problem. */
export class ConfigError extends NodeError {
  readonly problems: ConfigProblem[]
  constructor(file: string, problems: ConfigProblem[]) {
    super('ERR_CONFIG', `${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`)
    this.problems = problems
  }
}

/** No passphrase source was available (no env var, no file, no terminal). */
export class PassphraseError extends NodeError {
  constructor(message: string) {
    super('ERR_PASSPHRASE', message)
  }
}

/** The control API's Unix socket cannot be made at its path; the message names the path and why. */
export class ControlSocketError extends NodeError {
  readonly path: string
  constructor(path: string, reason: string) {
    super('ERR_CONTROL_SOCKET', `control socket ${path}: ${reason}`)
    this.path = path
  }
}

/** Another daemon already runs on this data directory. */
export class DataDirLockedError extends NodeError {
  constructor(dir: string) {
    super('ERR_DATA_DIR_LOCKED', `${dir} is in use by another pocnet daemon (its databases are locked)`)
  }
}

/** A counterpart could not be reached or answered with a rejection. */
export class DeliveryError extends NodeError {
  readonly retryable: boolean
  constructor(code: string, message: string, retryable: boolean) {
    super(code, message)
    this.retryable = retryable
  }
}

/**
 * A file of the data directory is there but cannot be read as what it must be (the node replaces
 * its files atomically, so only a damaged disk or a hand edit does this): names the file, what it
 * holds, the problem and what to do. `code` tells which file (ERR_ROSTER_FILE, ERR_USERS_FILE, …).
 */
export class DataFileError extends NodeError {
  readonly path: string
  readonly problem: string
  constructor(code: string, path: string, what: string, problem: string, remedy: string) {
    super(code, `${path}: ${what} cannot be read (${problem}): ${remedy}`)
    this.path = path
    this.problem = problem
  }
}

/** users.json is there but is not the node's users. */
export class UsersFileError extends DataFileError {
  constructor(path: string, problem: string) {
    super(
      'ERR_USERS_FILE',
      path,
      'the local users',
      problem,
      'restore users.json from a backup (`pocnet backup` holds a copy; the tokens valid then work again), or move it aside and put in its place the users.json of a scratch `pocnet --data-dir <new dir> init`, whose operator token then works on this node, and add the other users again with `pocnet user add`',
    )
  }
}

/**
 * An inbound connection whose handshake did not end in time: the guard cuts it, so a peer trickling
 * handshake bytes holds a slot only that long. A member's node on a slow link that hits this
 * should dial from an address in its directory record, which has the longer deadline.
 */
export class HandshakeDeadlineError extends NodeError {
  constructor(address: string, deadlineMs: number) {
    super(
      'ERR_HANDSHAKE_DEADLINE',
      `inbound connection from ${address}: handshake not done within ${deadlineMs} ms (an address in no member's directory record has the shorter deadline: a member's node should publish its current addresses)`,
    )
  }
}
