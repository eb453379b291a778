import { ROLES, type Role } from './roles.ts'

/**
 * The control API's contract: each route is declared once (method, path, roles, what a client
 * sends, how the server checks it, what it answers) in `routes/`, and both sides use that
 * declaration: the daemon serves it (`serve.ts`), `ControlClient.call` is typed by it.
 */

export type Method = 'GET' | 'POST' | 'DELETE'

/** Every role of the node's own staff: not investigators, who reach only their intake routes. */
export const EVERY_ROLE: readonly Role[] = ROLES.filter((role) => role !== 'investigator')
export const OPERATORS: readonly Role[] = ['operator']
/** Case work: contact points, their supervisors, and operators standing in for them. */
export const CONTACTS: readonly Role[] = ['operator', 'contact', 'supervisor']
/** Who sets the duty roster: operators and supervisors. */
export const DUTY_MANAGERS: readonly Role[] = ['operator', 'supervisor']
/** Oversight: auditors, and operators. */
export const AUDITORS: readonly Role[] = ['operator', 'auditor']
/** The country's own investigators, who draft requests for a contact point to review. */
export const INVESTIGATORS: readonly Role[] = ['investigator']

/** What a client sends on a route: its path parameters, query parameters and JSON body. */
export interface RouteRequest {
  params?: Record<string, string>
  query?: Record<string, string | number | undefined>
  body?: unknown
}

/** A route that takes nothing but its path. */
export interface NoRequest extends RouteRequest {
  params?: never
  query?: never
  body?: never
}

/** A call as the server received it, before its route's `parse` checks it. */
export interface RawRequest {
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
}

/**
 * One route. `Req` is what a client sends, `Input` what `parse` makes of it on the server, `Res`
 * the JSON the route answers with.
 */
export interface RouteDecl<Req extends RouteRequest, Input, Res> {
  readonly method: Method
  /** Path pattern; a `:name` segment is the path parameter `name`. */
  readonly path: string
  readonly roles: readonly Role[]
  /**
   * False for a step of an action recorded as a whole, whose successful calls would only repeat
   * its record: an upload's chunks (its start and finish are recorded). Refused calls are recorded
   * whatever this says. Unset: every call is recorded.
   */
  readonly audited?: false
  /**
   * Checks a call's parameters, query and body against the route's rules, before the node is
   * asked anything: the input, or a ControlApiError (400) naming the field and the rule.
   */
  parse(raw: RawRequest): Input
  /** Never set: carries the request and response types to the client and the handler. */
  readonly types?: { request: Req; response: Res }
}

export type AnyRoute = RouteDecl<RouteRequest, unknown, unknown>
export type RequestOf<R extends AnyRoute> = NonNullable<R['types']>['request']
export type InputOf<R extends AnyRoute> = ReturnType<R['parse']>
export type ResponseOf<R extends AnyRoute> = NonNullable<R['types']>['response']

/** The arguments of a call on `R` after the route: its request (optional when it has no required part), then a timeout. */
export type CallArgs<R extends AnyRoute> =
  Record<never, never> extends RequestOf<R>
    ? [request?: RequestOf<R>, timeoutMs?: number]
    : [request: RequestOf<R>, timeoutMs?: number]

/**
 * Declares a route answering `Res` to a `Req`; `parse`'s return type is inferred. Called twice
 * (`route<Req, Res>()({...})`) because TypeScript infers all of a call's type arguments or none.
 */
export function route<Req extends RouteRequest, Res>(): <Input>(
  decl: Omit<RouteDecl<Req, Input, Res>, 'types'>,
) => RouteDecl<Req, Input, Res> {
  return (decl) => decl
}

/** `parse` of a route that reads nothing from the call. */
export function nothing(): undefined {
  return undefined
}

/** The request target of a call: the route's path with its parameters filled in, then the query. */
export function requestTarget(path: string, request: RouteRequest): string {
  const filled = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment
      const value = request.params?.[segment.slice(1)]
      if (value === undefined) throw new TypeError(`${path}: no value for the path parameter ${segment}`)
      return encodeURIComponent(value)
    })
    .join('/')
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(request.query ?? {}))
    if (value !== undefined) query.set(name, String(value))
  const search = query.toString()
  return search === '' ? filled : `${filled}?${search}`
}
