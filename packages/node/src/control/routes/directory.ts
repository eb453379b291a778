import type { DirectoryRecord, KnownCountry, LookupSource, OfferOutcome } from '@pocnet/directory'
import { COUNTRY_CODE_RULE, isCountryCode } from '@pocnet/protocol/formats'
import { EVERY_ROLE, type NoRequest, nothing, OPERATORS, route } from '../contract.ts'
import { ControlApiError } from '../errors.ts'
import { BASE64, bodyObject, requireString } from '../fields.ts'

/** A directory record as the API shows it: the box key, and the X-Wing key if any, in hex. */
export type DirectoryRecordView = Omit<DirectoryRecord, 'boxPublicKey' | 'kemPublicKey'> & {
  boxPublicKey: string
  kemPublicKey?: string
}

export interface DirectoryLookup {
  record: DirectoryRecordView
  source: LookupSource
  /** When this node obtained the record, ms since the epoch. */
  fetchedAt: number
}

/** A country as `GET /directory` lists it: where its record came from on this call, and why there is none. */
export type KnownCountryView = KnownCountry & {
  /** cached: held before the call; fetched: looked up by it; none: not found (see `problem`). */
  record: 'cached' | 'fetched' | 'none'
  problem?: string
}

export interface RecordPublished {
  seq: number
  /** Peers that acknowledged storing it. */
  storedBy: number
}

export interface RosterOffered {
  outcome: OfferOutcome
  /** The roster version the node holds now. */
  version: number
}

/** The signed directory of the points of contact, and the roster behind it. */
export const directoryRoutes = {
  /** Looks up the members whose record is not held first (a few at a time, bounded), unless `cached`. */
  list: route<{ query?: { cached?: 1 } }, { countries: KnownCountryView[] }>()({
    method: 'GET',
    path: '/directory',
    roles: EVERY_ROLE,
    parse: ({ query }) => ({ cached: query.get('cached') === '1' }),
  }),
  lookup: route<{ params: { country: string } }, DirectoryLookup>()({
    method: 'GET',
    path: '/directory/:country',
    roles: EVERY_ROLE,
    parse: ({ params }) => {
      const country = params.country ?? ''
      if (!isCountryCode(country))
        throw new ControlApiError(400, 'ERR_FIELD', `country must be ${COUNTRY_CODE_RULE}, like "FR"`)
      return { country }
    },
  }),
  publish: route<NoRequest, RecordPublished>()({
    method: 'POST',
    path: '/directory/publish',
    roles: OPERATORS,
    parse: nothing,
  }),
  offerRoster: route<{ body: { chain: string } }, RosterOffered>()({
    method: 'POST',
    path: '/roster',
    roles: OPERATORS,
    parse: ({ body }) => {
      const chain = requireString(bodyObject(body), 'chain', BASE64, 'must be the roster chain file, base64')
      return { chain: new Uint8Array(Buffer.from(chain, 'base64')) }
    },
  }),
}
