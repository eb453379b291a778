import type { CaseStatus, Transition } from './case.ts'
import type { RequestType } from './constants.ts'
import type { CaseEventKind } from './events.ts'

/**
 * Art. 26 spontaneous information asks for nothing, so its case has a path of its own: the
 * receiving side acknowledges it (it took note; under Art. 26(2) it may say in the acknowledgement's
 * note that it cannot comply with the conditions), then either side closes the case. The providing
 * side may withdraw it until it is closed. No other step applies.
 */
const SPONTANEOUS_INFORMATION: Partial<Record<CaseEventKind, Transition>> = {
  delivered: { side: 'requested', from: ['sent'], to: 'delivered' },
  acknowledged: { side: 'requested', from: ['delivered'], to: 'acknowledged' },
  withdrawn: {
    side: 'requester',
    from: ['sent', 'delivered', 'acknowledged'] as CaseStatus[],
    to: 'withdrawn',
  },
  closed: { side: 'either', from: ['acknowledged'], to: 'closed' },
}

/** Request types whose case follows its own transitions instead of the main table. */
export const OWN_TRANSITIONS: Partial<Record<RequestType, Partial<Record<CaseEventKind, Transition>>>> = {
  'spontaneous-information': SPONTANEOUS_INFORMATION,
}
