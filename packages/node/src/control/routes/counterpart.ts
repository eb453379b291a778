import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import type { CounterpartReport } from '../../counterpart/before-send.ts'
import { CONTACTS, route } from '../contract.ts'
import { bodyObject, requireString } from '../fields.ts'

export type { CounterpartFinding } from '../../counterpart/checks.ts'
export type { CounterpartReport }

/** `POST /counterpart-checks`: a request form and the country it would go to. */
export interface CounterpartCheckRequest {
  to: string
  request: unknown
}

/** The checks `POST /cases` runs before it sends, alone: `pocnet request send --check`. */
export const counterpartRoutes = {
  check: route<{ body: CounterpartCheckRequest }, CounterpartReport>()({
    method: 'POST',
    path: '/counterpart-checks',
    roles: CONTACTS,
    parse: ({ body }) => {
      const b = bodyObject(body)
      const to = requireString(b, 'to', isCountryCode, `must be ${COUNTRY_CODE_RULE}, like "FR"`)
      return { to, request: b.request }
    },
  }),
}
