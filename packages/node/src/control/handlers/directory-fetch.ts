import type { Directory, KnownCountry } from '@pocnet/directory'
import type { KnownCountryView } from '../routes/directory.ts'

/** Lookups `directory list` runs at once for members it holds no record of: a few, not one per member. */
export const LIST_FETCH_CONCURRENCY = 4
/** How long `directory list` spends fetching in all: what is not found by then is listed as missing. */
export const LIST_FETCH_TIMEOUT_MS = 10_000

/**
 * The countries this node knows of, having first looked up (DHT, then peers; a few at a time,
 * within LIST_FETCH_TIMEOUT_MS in all) each member whose record it does not hold, so the list
 * shows what the network holds, not only what some earlier lookup happened to cache. Each is
 * marked: `cached` (held before), `fetched` (found now), or `none`, with why.
 */
export async function listWithFetch(directory: Directory, ownCountry: string): Promise<KnownCountryView[]> {
  const missing = directory
    .list()
    .filter((c) => c.member && c.country !== ownCountry && c.seq === undefined)
    .map((c) => c.country)
  const fetched = new Set<string>()
  const problems = new Map<string, string>()
  const signal = AbortSignal.timeout(LIST_FETCH_TIMEOUT_MS)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < missing.length && !signal.aborted) {
      const country = missing[next++]!
      try {
        await directory.lookup(country, { signal })
        fetched.add(country)
      } catch (err) {
        problems.set(
          country,
          signal.aborted ? `not found within ${LIST_FETCH_TIMEOUT_MS / 1000} s` : (err as Error).message,
        )
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(LIST_FETCH_CONCURRENCY, missing.length) }, worker))
  return directory.list().map((c) => viewOf(c, fetched, problems))
}

/** The countries as held now, fetching nothing. */
export function listCached(directory: Directory): KnownCountryView[] {
  return directory.list().map((c) => viewOf(c, new Set(), new Map()))
}

function viewOf(
  c: KnownCountry,
  fetched: ReadonlySet<string>,
  problems: ReadonlyMap<string, string>,
): KnownCountryView {
  const record = c.seq === undefined ? 'none' : fetched.has(c.country) ? 'fetched' : 'cached'
  const problem = problems.get(c.country)
  return { ...c, record, ...(record === 'none' && problem !== undefined ? { problem } : {}) }
}
