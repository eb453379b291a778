import type { AnyRoute, InputOf, ResponseOf } from './contract.ts'
import type { ControlCall, Route } from './server.ts'

/** What a handler knows of its call besides the checked input: who calls, and whether they went away. */
export type CallContext = Pick<ControlCall, 'user' | 'signal' | 'note'>

/** The node's side of a route: its checked input in, the declared answer out. */
export type Handler<R extends AnyRoute> = (input: InputOf<R>, call: CallContext) => Promise<ResponseOf<R>>

/** A handler for every route of an area: one missing, or answering another shape, does not compile. */
export type Handlers<Routes extends Record<string, AnyRoute>> = { [K in keyof Routes]: Handler<Routes[K]> }

/** The server routes of an area: each call is checked by its route's `parse`, then handled. */
export function serveRoutes<Routes extends Record<string, AnyRoute>>(
  routes: Routes,
  handlers: Handlers<Routes>,
): Route[] {
  return Object.entries(routes).map(([name, declared]) => {
    const handler = handlers[name] as Handler<AnyRoute>
    return {
      method: declared.method,
      path: declared.path,
      roles: declared.roles,
      ...(declared.audited === false && { audited: false as const }),
      handler: async (call) => handler(declared.parse(call), call),
    }
  })
}
