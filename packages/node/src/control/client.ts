import {
  type AnyRoute,
  type CallArgs,
  type Method,
  type ResponseOf,
  type RouteRequest,
  requestTarget,
} from './contract.ts'

// Not `import … from 'node:http'`: an ESM import of node:http reads every export, and its lazy
// ones load undici — about 50 ms of CPU and 13 MiB at every CLI start, for nothing.
const { request } = process.getBuiltinModule('node:http')

export interface ControlErrorBody {
  code: string
  message: string
  hint?: string
  details?: unknown
}

/** A call the daemon answered with an error status. */
export class ControlCallError extends Error {
  readonly status: number
  readonly code: string
  readonly hint: string | undefined
  readonly details: unknown
  constructor(status: number, body: ControlErrorBody) {
    super(body.message)
    this.name = 'ControlCallError'
    this.status = status
    this.code = body.code
    this.hint = body.hint
    this.details = body.details
  }
}

/** The daemon is not running, or its socket is not where we looked. */
export class DaemonUnreachableError extends Error {
  readonly code = 'ERR_DAEMON_UNREACHABLE'
  constructor(socketPath: string, cause: string) {
    super(`no pocnet daemon answers on ${socketPath} (${cause})`)
    this.name = 'DaemonUnreachableError'
  }
}

/** Client of the control API, used by the CLI and the tests. */
export class ControlClient {
  readonly socketPath: string
  readonly #token: string

  constructor(socketPath: string, token: string) {
    this.socketPath = socketPath
    this.#token = token
  }

  /** A call on a declared route (`routes/`): its request and its answer typed by the declaration. */
  call<R extends AnyRoute>(route: R, ...[input, timeoutMs]: CallArgs<R>): Promise<ResponseOf<R>> {
    const sent: RouteRequest = input ?? {}
    // the one place an answer is taken for its declared type: the daemon serves that declaration
    return this.request(route.method, requestTarget(route.path, sent), sent.body, timeoutMs) as Promise<
      ResponseOf<R>
    >
  }

  /** A call by method and path, its answer unchecked: for what no route declares (tests of the server itself). */
  request(method: Method, path: string, body?: unknown, timeoutMs = 60_000): Promise<unknown> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${this.#token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            let parsed: unknown
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
            } catch {
              reject(new Error(`the daemon sent a reply that is not JSON (status ${res.statusCode})`))
              return
            }
            if (res.statusCode === 200) resolve(parsed)
            else
              reject(new ControlCallError(res.statusCode ?? 0, (parsed as { error: ControlErrorBody }).error))
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer from the daemon within ${timeoutMs} ms`)))
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
          reject(new DaemonUnreachableError(this.socketPath, err.code))
        } else reject(err)
      })
      req.end(payload)
    })
  }
}
