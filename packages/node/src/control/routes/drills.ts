import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import type { DrillLaunch, DrillsOverview } from '../../drills/service.ts'
import type { ReceivedDrillView } from '../../drills/summary.ts'
import { CONTACTS, EVERY_ROLE, type NoRequest, nothing, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { bodyObject } from '../fields.ts'

/** `POST /drills/run`: the countries to drill now; absent, the configured ones, else every other member. */
export interface DrillRunRequest {
  countries?: string[]
}

/** The countries of a drill round, each checked; undefined when none were named. */
function parseCountries(body: unknown): string[] | undefined {
  if (body === undefined) return undefined
  const countries = bodyObject(body).countries
  if (countries === undefined) return undefined
  const fail = () => {
    throw new ControlApiError(
      400,
      'ERR_FIELD',
      `countries: must be a non-empty list of ${COUNTRY_CODE_RULE}, each once`,
      {
        details: { field: 'countries' },
      },
    )
  }
  if (!Array.isArray(countries) || countries.length === 0) return fail()
  if (!countries.every(isCountryCode) || new Set(countries).size !== countries.length) return fail()
  return countries as string[]
}

/** Reachability drills: what was sent and received, a round now, an officer's acknowledgement. */
export const drillRoutes = {
  overview: route<NoRequest, DrillsOverview>()({
    method: 'GET',
    path: '/drills',
    roles: EVERY_ROLE,
    parse: nothing,
  }),
  run: route<{ body?: DrillRunRequest }, { launches: DrillLaunch[] }>()({
    method: 'POST',
    path: '/drills/run',
    roles: CONTACTS,
    parse: ({ body }) => ({ countries: parseCountries(body) }),
  }),
  acknowledge: route<{ params: { id: string } }, ReceivedDrillView>()({
    method: 'POST',
    path: '/drills/:id/ack',
    roles: CONTACTS,
    parse: ({ params }) => ({ id: params.id ?? '' }),
  }),
}
