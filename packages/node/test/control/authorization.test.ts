import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestTarget } from '../../src/control/contract.ts'
import { ROLES, type Role } from '../../src/control/roles.ts'
import {
  CONTROL_ROUTES,
  ControlCallError,
  ControlClient,
  createLogger,
  startControlServer,
  UserStore,
} from '../../src/index.ts'

// Every route of the control API called by every role, through the real server: a route added
// later is covered without touching this file, and an investigator reaching it fails here.

/** All an investigator may call: their own drafts and the cases those became. */
const INVESTIGATOR_MAY = [
  'POST /intake/drafts',
  'GET /intake/drafts',
  'GET /intake/drafts/:id',
  'POST /intake/drafts/:id/revise',
  'POST /intake/drafts/:id/submit',
  'GET /intake/cases/:id',
]

/** Who may call each intake route: investigators write, contact points (their supervisors, operators) review. */
const INTAKE_ROLES: Record<string, Role[]> = {
  'POST /intake/drafts': ['investigator'],
  'GET /intake/drafts': ['investigator', 'operator', 'contact', 'supervisor'],
  'GET /intake/drafts/:id': ['investigator', 'operator', 'contact', 'supervisor'],
  'POST /intake/drafts/:id/revise': ['investigator'],
  'POST /intake/drafts/:id/submit': ['investigator'],
  'POST /intake/drafts/:id/approve': ['operator', 'contact', 'supervisor'],
  'POST /intake/drafts/:id/return': ['operator', 'contact', 'supervisor'],
  'POST /intake/drafts/:id/refuse': ['operator', 'contact', 'supervisor'],
  'GET /intake/cases/:id': ['investigator'],
}

const ALL_ROUTES = Object.values(CONTROL_ROUTES).flatMap((area) => Object.values(area))
const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`

describe('control API authorization, every route × every role', () => {
  let dir: string
  let server: Server
  const tokens = new Map<Role, string>()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-authz-'))
    const users = await UserStore.open(dir)
    for (const role of ROLES) tokens.set(role, await users.add(`u-${role}`, role))
    server = await startControlServer({
      socketPath: join(dir, 'control.sock'),
      users,
      log: createLogger({ level: 'error' }),
      // each route as declared, answering once the server let the call through
      routes: ALL_ROUTES.map((r) => ({
        method: r.method,
        path: r.path,
        roles: r.roles,
        handler: async () => ({ through: true }),
      })),
    })
  })

  afterAll(async () => {
    await new Promise<void>((done) => server?.close(() => done()))
    await rm(dir, { recursive: true, force: true })
  })

  it('lets an investigator reach exactly their intake routes, and declares the intake routes as listed', () => {
    expect(
      ALL_ROUTES.filter((r) => r.roles.includes('investigator'))
        .map(key)
        .sort(),
    ).toEqual([...INVESTIGATOR_MAY].sort())
    const intake = Object.fromEntries(
      Object.values(CONTROL_ROUTES.intake).map((r) => [key(r), [...r.roles].sort()]),
    )
    expect(intake).toEqual(
      Object.fromEntries(Object.entries(INTAKE_ROLES).map(([k, v]) => [k, [...v].sort()])),
    )
  })

  it('answers each call through, or 403 naming the role, the route and who may', async () => {
    const seen: string[] = []
    for (const r of ALL_ROUTES) {
      const target = requestTarget(r.path, {
        params: Object.fromEntries(
          r.path
            .split('/')
            .filter((s: string) => s.startsWith(':'))
            .map((s: string) => [s.slice(1), 'x']),
        ),
      })
      for (const role of ROLES) {
        const client = new ControlClient(join(dir, 'control.sock'), tokens.get(role)!)
        const allowed =
          role === 'investigator'
            ? INVESTIGATOR_MAY.includes(key(r))
            : (r.roles as readonly Role[]).includes(role)
        const answer = await client
          .request(r.method, target, r.method === 'GET' ? undefined : {})
          .catch((e) => e)
        if (allowed) expect(answer, `${role} ${key(r)}`).toEqual({ through: true })
        else {
          expect(answer, `${role} ${key(r)}`).toBeInstanceOf(ControlCallError)
          expect(answer).toMatchObject({
            status: 403,
            code: 'ERR_FORBIDDEN',
            message: `role ${role} may not ${key(r)}`,
            hint: `this needs one of: ${r.roles.join(', ')}`,
          })
        }
        seen.push(`${role} ${key(r)}`)
      }
    }
    expect(seen).toHaveLength(ALL_ROUTES.length * ROLES.length)
  })
})
