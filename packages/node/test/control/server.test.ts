import { spawnSync } from 'node:child_process'
import { lstatSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request as httpRequest, type Server } from 'node:http'
import { Server as NetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ControlApiError,
  ControlCallError,
  ControlClient,
  ControlSocketError,
  createLogger,
  DaemonUnreachableError,
  startControlServer,
  UserStore,
} from '../../src/index.ts'

describe('control API server on a Unix socket', () => {
  let dir: string
  let server: Server
  let socket: string
  let operator: string
  let auditor: string
  const calls: string[] = []
  let longCallStarted = false

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-control-'))
    socket = join(dir, 'control.sock')
    const users = await UserStore.open(dir)
    operator = await users.add('olga', 'operator')
    auditor = await users.add('aud', 'auditor')
    server = await startControlServer({
      socketPath: socket,
      users,
      log: createLogger({ level: 'error' }),
      routes: [
        {
          method: 'GET',
          path: '/echo/:word',
          roles: ['operator', 'auditor'],
          handler: async ({ params }) => params,
        },
        {
          method: 'POST',
          path: '/only-operator',
          roles: ['operator'],
          handler: async ({ body }) => ({ got: body }),
        },
        {
          method: 'GET',
          path: '/long',
          roles: ['operator'],
          handler: ({ signal }) => {
            longCallStarted = true
            return new Promise((resolve) =>
              signal.addEventListener('abort', () => resolve({}), { once: true }),
            )
          },
        },
        {
          method: 'POST',
          path: '/step/:n',
          roles: ['operator'],
          audited: false,
          handler: async ({ params }) => {
            if (params.n === 'bad') throw new ControlApiError(400, 'ERR_FIELD', 'n: must be a number')
            return {}
          },
        },
        {
          method: 'POST',
          path: '/whole',
          roles: ['operator'],
          handler: async ({ note }) => {
            note({ name: 'export.bin' })
            return {}
          },
        },
        {
          method: 'GET',
          path: '/fails',
          roles: ['operator'],
          handler: async () => {
            throw new ControlApiError(409, 'ERR_STATE', 'not now', { hint: 'later' })
          },
        },
      ],
      onCall: async (user, method, path, status, noted) => {
        const detail = Object.keys(noted).length === 0 ? '' : ` ${JSON.stringify(noted)}`
        calls.push(`${user.name} ${method} ${path} ${status}${detail}`)
      },
    })
  })

  afterAll(async () => {
    await new Promise((r) => server.close(r))
    await rm(dir, { recursive: true, force: true })
  })

  it('creates the socket with mode 0600', async () => {
    expect((await stat(socket)).mode & 0o777).toBe(0o600)
  })

  it('never lets the socket exist with a looser mode than 0600, whatever the umask', async () => {
    const socketPath = join(dir, 'umask.sock')
    // the mode the socket has the moment listen() has bound it, before anything can chmod it
    const modes: number[] = []
    const listen = NetServer.prototype.listen
    const spy = vi.spyOn(NetServer.prototype, 'listen').mockImplementation(function (
      this: NetServer,
      ...args: unknown[]
    ) {
      const server = (listen as (...a: unknown[]) => NetServer).apply(this, args)
      modes.push(lstatSync(socketPath).mode & 0o777)
      return server
    })
    const umask = process.umask(0)
    let opened: Server | undefined
    try {
      opened = await startControlServer({
        socketPath,
        users: await UserStore.open(dir),
        log: createLogger({ level: 'error', write: () => {} }),
        routes: [],
      })
    } finally {
      process.umask(umask)
      spy.mockRestore()
      if (opened !== undefined) await new Promise((r) => opened!.close(r))
    }
    expect(modes).toEqual([0o600])
    expect(process.umask()).toBe(umask)
  })

  it('serves an allowed call and records it with its user', async () => {
    expect(await new ControlClient(socket, auditor).request('GET', '/echo/hello%20world')).toEqual({
      word: 'hello world',
    })
    expect(calls).toContain('aud GET /echo/hello%20world 200')
  })

  it('records no successful call of a route declared unaudited, but records its refusals and what a handler notes', async () => {
    const client = new ControlClient(socket, operator)
    await client.request('POST', '/step/1', {})
    await expect(client.request('POST', '/step/bad', {})).rejects.toMatchObject({ status: 400 })
    await client.request('POST', '/whole', {})
    expect(calls.filter((c) => c.includes('/step/'))).toEqual(['olga POST /step/bad 400'])
    expect(calls).toContain('olga POST /whole 200 {"name":"export.bin"}')
  })

  it('refuses unknown tokens (401) and roles the route does not allow (403), with a hint', async () => {
    await expect(new ControlClient(socket, 'pn_wrong').request('GET', '/echo/x')).rejects.toMatchObject({
      status: 401,
    })
    const err = await new ControlClient(socket, auditor)
      .request('POST', '/only-operator', {})
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ControlCallError)
    expect(err).toMatchObject({ status: 403, code: 'ERR_FORBIDDEN' })
    expect((err as ControlCallError).hint).toMatch(/operator/)
    expect(calls).toContain('aud POST /only-operator 403')
  })

  it('answers 404, 405, bad JSON and typed handler errors as JSON errors', async () => {
    const client = new ControlClient(socket, operator)
    await expect(client.request('GET', '/nope')).rejects.toMatchObject({ status: 404 })
    await expect(client.request('DELETE', '/only-operator')).rejects.toMatchObject({ status: 405 })
    await expect(client.request('GET', '/fails')).rejects.toMatchObject({
      status: 409,
      code: 'ERR_STATE',
      hint: 'later',
    })
    expect(await client.request('POST', '/only-operator', { a: 1 })).toEqual({ got: { a: 1 } })
    // a path parameter that does not decode is the caller's error, named, not the server's
    await expect(client.request('GET', '/echo/%E0%A4')).rejects.toMatchObject({
      status: 400,
      code: 'ERR_FIELD',
      message: 'word: is not percent-encoded UTF-8',
    })
  })

  it('tells a handler when its client went away, so a long poll stops waiting', async () => {
    const request = httpRequest({
      socketPath: socket,
      path: '/long',
      headers: { authorization: `Bearer ${operator}` },
    })
    request.on('error', () => {})
    request.end()
    await vi.waitFor(() => expect(longCallStarted).toBe(true))
    request.destroy()
    // the handler returns only once its signal aborts; then the call is recorded
    await vi.waitFor(() => expect(calls).toContain('olga GET /long 200'), { timeout: 10_000 })
  })

  it('records a call before answering it, and returns nothing of a read it cannot record', async () => {
    const socketPath = join(dir, 'unrecorded.sock')
    const users = await UserStore.open(dir)
    let recording: 'works' | 'fails' = 'works'
    const recorded: string[] = []
    const failing = await startControlServer({
      socketPath,
      users,
      log: createLogger({ level: 'error', write: () => {} }),
      routes: [
        { method: 'GET', path: '/secret', roles: ['auditor'], handler: async () => ({ secret: 42 }) },
        { method: 'POST', path: '/change', roles: ['operator'], handler: async () => ({ changed: true }) },
      ],
      onCall: async (user, method, path, status) => {
        if (recording === 'fails') throw new Error('disk full')
        recorded.push(`${user.name} ${method} ${path} ${status}`)
      },
    })
    try {
      // recorded before the answer left: there is no window where the client has it and the ledger does not
      expect(await new ControlClient(socketPath, auditor).request('GET', '/secret')).toEqual({ secret: 42 })
      expect(recorded).toEqual(['aud GET /secret 200'])
      recording = 'fails'
      await expect(new ControlClient(socketPath, auditor).request('GET', '/secret')).rejects.toMatchObject({
        status: 503,
        code: 'ERR_NOT_RECORDED',
      })
      // a change has happened whether or not its record could be written: its answer stands
      expect(await new ControlClient(socketPath, operator).request('POST', '/change', {})).toEqual({
        changed: true,
      })
    } finally {
      await new Promise((r) => failing.close(r))
    }
  })

  it('takes the place of a socket an earlier run left, but never of anything else at its path', async () => {
    const users = await UserStore.open(dir)
    const log = createLogger({ level: 'error', write: () => {} })
    const start = (socketPath: string) => startControlServer({ socketPath, users, log, routes: [] })
    // a socket left behind by a process killed while it listened (a clean close removes it)
    const stale = join(dir, 'stale.sock')
    const killed = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ])
    expect(killed.signal).toBe('SIGKILL')
    expect((await stat(stale)).isSocket()).toBe(true)
    const second = await start(stale)
    await new Promise((r) => second.close(r))
    await writeFile(join(dir, 'not-a-socket'), 'kept')
    for (const [name, what] of [
      ['not-a-socket', 'a file that is not a socket'],
      ['.', 'a directory'],
    ] as const) {
      const path = join(dir, name)
      await expect(start(path)).rejects.toThrow(
        new ControlSocketError(path, `${what} is in the way: move it elsewhere`),
      )
    }
    expect(await readFile(join(dir, 'not-a-socket'), 'utf8')).toBe('kept')
    const long = join(dir, 'x'.repeat(120))
    await expect(start(long)).rejects.toBeInstanceOf(ControlSocketError)
  })

  it('tells the client plainly when no daemon listens', async () => {
    await expect(
      new ControlClient(join(dir, 'absent.sock'), operator).request('GET', '/echo/x'),
    ).rejects.toBeInstanceOf(DaemonUnreachableError)
  })
})
