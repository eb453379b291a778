import type { Directory } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import type { CaseBook } from '../casebook/index.ts'
import { clocksOf } from '../clock-config.ts'
import type { NodeConfig } from '../config.ts'
import type { EventFeed } from '../feed.ts'
import type { Logger } from '../log.ts'
import { DutyPager } from './pager.ts'
import type { DutyStore } from './store.ts'

/** How long a page waits for the counterpart's directory record before it goes without the number. */
const DESK_LOOKUP_TIMEOUT_MS = 5_000

/** The duty roster and the pager over it. */
export interface DutyDesk {
  store: DutyStore
  pager: DutyPager
  /** The node's case clock, which pages and the roster's "now" follow. */
  now: () => Date
}

export interface DutyDeskInit {
  /** Opened before anything else of the node: a damaged duty.json stops the start first. */
  store: DutyStore
  config: NodeConfig
  ledger: Ledger
  feed: EventFeed
  cases: CaseBook
  directory: Directory
  now: () => Date
  log: Logger
}

/** The pager over the duty roster, not started, rung by each new request. */
export function dutyDesk(init: DutyDeskInit): DutyDesk {
  const { store } = init
  const pager = new DutyPager({
    ledger: init.ledger,
    feed: init.feed,
    store,
    cases: () => init.cases.list(),
    clocks: clocksOf(init.config),
    escalation: init.config.escalation,
    deskOf: async (country, signal) => {
      const found = await init.directory.lookup(country, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(DESK_LOOKUP_TIMEOUT_MS)]),
      })
      return { phone: found.record.phone, unit: found.record.unit }
    },
    now: init.now,
    log: init.log,
  })
  // a new request pages the officer on duty at once, not at the next periodic check; after the
  // current turn, as the case book shows the case only once the announcement that raised this returns
  init.feed.subscribe((event) => {
    if (event.type === 'new-request') setImmediate(() => void pager.check().catch(() => {}))
    // a drill received to acknowledge (not a member's refusal of ours) pages the officer on duty too
    const drill = event.detail?.drill
    if (event.type === 'drill' && event.detail?.answer === undefined && typeof drill === 'string')
      void pager
        .pageDrill({ id: drill, from: String(event.detail?.from) })
        .catch((err: unknown) =>
          init.log.error('duty.page-failed', { error: String((err as Error).message ?? err) }),
        )
  })
  return { store, pager, now: init.now }
}
