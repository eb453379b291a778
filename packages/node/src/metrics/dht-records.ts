import type { KadDHTComponents } from '@libp2p/kad-dht'
import { RECORD_KEY_PREFIX } from '@pocnet/directory'

/** Records kad-dht stores for the DHT in `datastore` now; 0 before the DHT is made. */
export async function countDhtRecords(datastore: KadDHTComponents['datastore'] | undefined): Promise<number> {
  if (datastore === undefined) return 0
  let count = 0
  for await (const _ of datastore.queryKeys({ prefix: RECORD_KEY_PREFIX })) count++
  return count
}
