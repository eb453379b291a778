import { chmod, lstat, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { ControlSocketError, NodeError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Method, RawRequest } from './contract.ts'
import { ControlApiError } from './errors.ts'
import type { Role, UserRecord } from './roles.ts'
import type { UserStore } from './users.ts'

export interface ControlCall extends RawRequest {
  user: UserRecord
  /** Aborted when the client goes away before its answer is sent (a long poll can stop waiting). */
  signal: AbortSignal
  /** Adds what the call's ledger record should name besides method, path and status (an upload's file). */
  note(detail: Record<string, unknown>): void
}

/** A route as the server dispatches it; the node's are declared in `routes/` and served by `serve.ts`. */
export interface Route {
  method: Method
  /** Path pattern, `:name` segments become params. */
  path: string
  roles: readonly Role[]
  /** False: a successful call is not recorded (see `RouteDecl.audited`); a refused one always is. */
  audited?: false
  handler(call: ControlCall): Promise<unknown>
}

export interface ControlServerOptions {
  socketPath: string
  users: UserStore
  routes: Route[]
  log: Logger
  /**
   * Every authenticated call, allowed or not, before it is answered, for the ledger (Second
   * Protocol Art. 14). If it throws, a successful read is answered 503 instead of its data.
   */
  onCall?(
    user: UserRecord,
    method: string,
    path: string,
    status: number,
    noted: Record<string, unknown>,
  ): Promise<void>
  maxBodyBytes?: number
}

const MAX_BODY = 4 * 1024 * 1024

/** The 401 for a known token past its expiry: whose, and since when. */
function tokenExpired(user: UserRecord): ControlApiError {
  return new ControlApiError(
    401,
    'ERR_TOKEN_EXPIRED',
    `the token of user ${user.name} expired at ${new Date(user.expiresAt!).toISOString()}`,
    { hint: `ask an operator for a new one: \`pocnet user token rotate ${user.name}\`` },
  )
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/')
  const a = path.split('/')
  if (p.length !== a.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodePathParam(p[i]!.slice(1), a[i]!)
    else if (p[i] !== a[i]) return undefined
  }
  return params
}

function decodePathParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new ControlApiError(400, 'ERR_FIELD', `${name}: is not percent-encoded UTF-8`, {
      details: { field: name },
    })
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new ControlApiError(413, 'ERR_BODY_TOO_LARGE', `request body over ${limit} bytes`)
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ControlApiError(400, 'ERR_BAD_JSON', 'request body is not valid JSON')
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * The local control API: JSON over HTTP on a Unix socket (mode 0600) in the data directory.
 * Every call carries a bearer token; the user's role must be one the route allows.
 */
export async function startControlServer(opts: ControlServerOptions): Promise<Server> {
  const limit = opts.maxBodyBytes ?? MAX_BODY
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://pocnet')
    const auth = req.headers.authorization
    const user = auth?.startsWith('Bearer ') ? opts.users.authenticate(auth.slice(7)) : undefined
    const gone = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) gone.abort()
    })
    let status = 500
    let answer: unknown
    let audited = true
    const noted: Record<string, unknown> = {}
    try {
      if (user === undefined) {
        throw new ControlApiError(401, 'ERR_UNAUTHENTICATED', 'missing or unknown token', {
          hint: 'set POCNET_TOKEN to a token from `pocnet user add`',
        })
      }
      if (user.expiresAt !== undefined && user.expiresAt <= Date.now()) throw tokenExpired(user)
      let found: { route: Route; params: Record<string, string> } | undefined
      let pathKnown = false
      for (const route of opts.routes) {
        const params = match(route.path, url.pathname)
        if (params === undefined) continue
        pathKnown = true
        if (route.method === req.method) {
          found = { route, params }
          break
        }
      }
      if (found === undefined) {
        throw pathKnown
          ? new ControlApiError(405, 'ERR_METHOD', `${req.method} is not allowed on ${url.pathname}`)
          : new ControlApiError(404, 'ERR_NOT_FOUND', `no such endpoint ${url.pathname}`)
      }
      if (!found.route.roles.includes(user.role)) {
        throw new ControlApiError(
          403,
          'ERR_FORBIDDEN',
          `role ${user.role} may not ${req.method} ${found.route.path}`,
          {
            hint: `this needs one of: ${found.route.roles.join(', ')}`,
          },
        )
      }
      const body = await readBody(req, limit)
      const result = await found.route.handler({
        user,
        params: found.params,
        query: url.searchParams,
        body,
        signal: gone.signal,
        note: (detail) => Object.assign(noted, detail),
      })
      status = 200
      answer = result ?? {}
      audited = found.route.audited !== false
    } catch (err) {
      if (err instanceof ControlApiError) {
        status = err.status
        answer = { error: { code: err.code, message: err.message, hint: err.hint, details: err.details } }
      } else if (
        err instanceof NodeError ||
        (err instanceof Error && 'code' in err && typeof err.code === 'string')
      ) {
        status = 400
        const e = err as Error & { code: string }
        answer = { error: { code: e.code, message: e.message } }
      } else {
        status = 500
        opts.log.error('control.internal-error', { path: url.pathname, error: String(err) })
        answer = { error: { code: 'ERR_INTERNAL', message: 'internal error; see the daemon log' } }
      }
    }
    opts.log.info('control.call', {
      user: user?.name ?? null,
      method: req.method,
      path: url.pathname,
      status,
    })
    // The call is recorded before it is answered, so nothing is read without its record
    // (Second Additional Protocol Art. 14). A read whose record fails is refused; a change has
    // happened already, so its answer stands and the failure is logged.
    if (user !== undefined && audited && opts.onCall !== undefined) {
      try {
        await opts.onCall(user, req.method ?? '', url.pathname, status, noted)
      } catch (err) {
        opts.log.error('control.audit-failed', { error: String(err) })
        if (req.method === 'GET' && status === 200) {
          status = 503
          answer = {
            error: {
              code: 'ERR_NOT_RECORDED',
              message: 'the call could not be recorded in the ledger, so nothing was returned',
            },
          }
        }
      }
    }
    send(res, status, answer)
  })
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  await clearControlSocketPath(opts.socketPath)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ControlSocketError(opts.socketPath, `cannot listen (${err.code ?? err.message})`)),
    )
    // bind() creates the socket with 0777 & ~umask: under this umask it is 0600 from the start,
    // not for the moment before a chmod (bind happens within listen(), synchronously)
    const umask = process.umask(0o177)
    try {
      server.listen(opts.socketPath, () => resolve())
    } finally {
      process.umask(umask)
    }
  })
  await chmod(opts.socketPath, 0o600)
  return server
}

/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 107

/**
 * Refuses a socket path the kernel would not take, or one where something other than a socket
 * lies (it is never removed); a socket left by an earlier run is fine. The daemon asks before it
 * joins the network, so such a path stops the start at once.
 */
export async function checkControlSocketPath(path: string): Promise<void> {
  const bytes = Buffer.byteLength(path)
  if (bytes > MAX_SOCKET_PATH_BYTES)
    throw new ControlSocketError(
      path,
      `the path is ${bytes} bytes, and a Unix socket's may be at most ${MAX_SOCKET_PATH_BYTES}: use a shorter data directory path`,
    )
  let kind: string
  try {
    const stat = await lstat(path)
    if (stat.isSocket()) return
    kind = stat.isDirectory()
      ? 'a directory'
      : stat.isSymbolicLink()
        ? 'a symbolic link'
        : 'a file that is not a socket'
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new ControlSocketError(path, `cannot be checked (${(err as NodeJS.ErrnoException).code ?? err})`)
  }
  throw new ControlSocketError(path, `${kind} is in the way: move it elsewhere`)
}

/** checkControlSocketPath, then removes the socket an earlier run left. */
async function clearControlSocketPath(path: string): Promise<void> {
  await checkControlSocketPath(path)
  await rm(path, { force: true })
}
