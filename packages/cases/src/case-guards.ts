import type { Case } from './case.ts'
import { conditionsPending, conditionsProblem } from './conditions.ts'
import { custodianText, extensionTarget, isHeld, type Preservation, unreleased } from './custodians.ts'
import { refusalGroundProblem } from './endings.ts'
import type { CaseEvent, CaseEventKind } from './events.ts'

/**
 * A state-specific condition beyond the table; returns why the event is not allowed, or undefined.
 * `strict` adds the rules that came after case histories were already recorded (no `other` ground
 * for Arts 29 and 30, no close while data is preserved, one record per custodian): a new step
 * must pass them, a stored history replays without them.
 */
export function guard(c: Case, event: CaseEvent, strict: boolean): string | undefined {
  switch (event.kind) {
    case 'extension-requested': {
      if (c.preservation === undefined) return 'nothing has been preserved yet'
      const target = extensionTarget(c.custodians, event.providerReference)
      if (target === undefined && (strict || event.providerReference !== undefined))
        return event.providerReference === undefined
          ? `several custodians are preserved: name one with --provider-ref (${unreleased(c.custodians)
              .map((k) => k.providerReference)
              .join(', ')})`
          : `no custodian with provider reference ${event.providerReference} is preserved`
      return expiredProblem(target ?? c.preservation, event.at)
    }
    case 'mla-submitted':
      if (c.preservation === undefined) return 'nothing has been preserved yet'
      return expiredProblem(latestHeld(c), event.at)
    case 'mla-received':
      if (c.preservation === undefined) return 'nothing is preserved'
      // Art. 29(7) continues a preservation in force at receipt; after its end there is nothing to continue
      return expiredProblem(latestHeld(c), event.at)
    case 'released':
      if (event.providerReference === undefined)
        return c.preservation === undefined ? "no custodian's data is preserved" : undefined
      return unreleased(c.custodians).some((k) => k.providerReference === event.providerReference)
        ? undefined
        : `no custodian with provider reference ${event.providerReference} is preserved (preserved: ${
            unreleased(c.custodians)
              .map((k) => k.providerReference)
              .join(', ') || 'none'
          })`
    case 'preserved':
      if (strict && c.custodians.some((k) => k.providerReference === event.providerReference))
        return `custodian ${event.providerReference} is already preserved: extend it with \`pocnet case extend ${c.id} --provider-ref ${event.providerReference}\`, or give the new custodian its own reference`
      return undefined
    case 'refused': {
      if (!strict && event.ground === 'other') return undefined
      const articles =
        c.request.schema === 'pocnet/preservation/v1' ? (c.request.offence.conventionArticles ?? []) : []
      return refusalGroundProblem(c.type, event.ground, articles)
    }
    case 'closed': {
      if (!strict) return undefined
      const held = c.custodians.filter((k) => isHeld(k, event.at, c.mlaReceived?.at))
      if (held.length === 0) return undefined
      const release = held.length === 1 ? `--provider-ref ${held[0]!.providerReference}` : '--all'
      return `data is still preserved for custodian ${held.map(custodianText).join(', ')}; the requester releases it first with \`pocnet case release ${c.id} ${release}\``
    }
    case 'conditions-stated':
    case 'conditions-accepted':
    case 'conditions-declined':
      return conditionsProblem(c, event)
    default:
      return undefined
  }
}

/** The custodian held the longest, for the checks that need any one still in force. */
function latestHeld(c: Case): Preservation {
  return unreleased(c.custodians).at(-1) ?? c.preservation!
}

/** Art. 29(7) continues a preservation still in force; after its end there is nothing to extend or keep. */
function expiredProblem(p: Preservation, at: string): string | undefined {
  if (Date.parse(at) < Date.parse(p.current.expiresAt)) return undefined
  return `the preservation expired at ${p.current.expiresAt}; send a new preservation request`
}

/** The guards allowedMoves can judge without a payload, at `now`. */
export function typicallyAllowed(c: Case, kind: CaseEventKind, now: string): boolean {
  switch (kind) {
    case 'extension-requested':
    case 'mla-submitted':
    case 'mla-received':
    case 'released':
      return c.preservation !== undefined
    case 'closed':
      return !c.custodians.some((k) => isHeld(k, now, c.mlaReceived?.at))
    case 'conditions-stated':
      return !conditionsPending(c)
    case 'conditions-accepted':
    case 'conditions-declined':
      return conditionsPending(c)
    default:
      return true
  }
}
