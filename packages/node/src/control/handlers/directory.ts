import { toHex } from '@pocnet/crypto'
import { DirectoryError, decodeRosterChain, RecordNotFoundError } from '@pocnet/directory'
import { OwnRecordRefusedError } from '../../daemon/own-record.ts'
import type { PocnetDaemon } from '../../daemon.ts'
import { ControlApiError } from '../errors.ts'
import type { directoryRoutes } from '../routes/directory.ts'
import type { Handlers } from '../serve.ts'
import { listCached, listWithFetch } from './directory-fetch.ts'

/** How long a lookup may search the network for a record. */
const LOOKUP_TIMEOUT_MS = 15_000

export function directoryHandlers(daemon: PocnetDaemon): Handlers<typeof directoryRoutes> {
  return {
    list: async ({ cached }) => ({
      countries: cached
        ? listCached(daemon.directory)
        : await listWithFetch(daemon.directory, daemon.config.country),
    }),
    lookup: async ({ country }) => {
      try {
        const found = await daemon.directory.lookup(country, {
          signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
        })
        const { boxPublicKey, kemPublicKey, ...record } = found.record
        return {
          record: {
            ...record,
            boxPublicKey: toHex(boxPublicKey),
            ...(kemPublicKey === undefined ? {} : { kemPublicKey: toHex(kemPublicKey) }),
          },
          source: found.source,
          fetchedAt: found.fetchedAt,
        }
      } catch (err) {
        if (err instanceof RecordNotFoundError) {
          throw new ControlApiError(404, 'ERR_NO_RECORD', err.message, {
            hint: 'the country may not have published yet, or no member is reachable',
          })
        }
        throw err
      }
    },
    publish: async () => {
      try {
        return await daemon.publishOwnRecord()
      } catch (err) {
        if (err instanceof OwnRecordRefusedError)
          throw new ControlApiError(409, err.code, err.message, { hint: err.problem.fix })
        throw err
      }
    },
    offerRoster: async ({ chain }, { user }) => {
      try {
        const outcome = daemon.offerRoster(decodeRosterChain(chain))
        await daemon.ledger.append({
          kind: 'admin-action',
          actor: `user:${user.name}`,
          detail: { action: 'roster-offer', outcome, version: daemon.roster.version },
        })
        return { outcome, version: daemon.roster.version }
      } catch (err) {
        if (err instanceof DirectoryError) {
          throw new ControlApiError(409, err.code, err.message, {
            hint: 'check the chain with `pocnet roster verify <file>`',
          })
        }
        throw err
      }
    },
  }
}
