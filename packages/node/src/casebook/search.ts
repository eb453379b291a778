import {
  type IdentifierType,
  isFinished,
  type KeyKind,
  kindOfKey,
  type RequestKey,
  repeatedText,
  type Side,
  searchKeys,
} from '@pocnet/cases'
import type { Logger } from '../log.ts'
import type { HeldCase, HeldCases } from './held.ts'
import type { CaseRecorder } from './record.ts'

/** Another case named by a warning: enough to find it, nothing of its contents. */
export interface CaseRef {
  id: string
  /** The other country of that case. */
  country: string
  status: string
}

/** A case a search found, and what of it matched. */
export interface CaseMatch {
  id: string
  type: string
  requester: string
  requested: string
  side: Side
  status: string
  finished: boolean
  openedAt: string
  /** The requester's case reference. */
  reference: string
  /** The fields that matched (`caseReference`, `data.identifiers[0]`…), with what they are. */
  matched: Array<{ kind: KeyKind; path: string }>
}

/** An identifier of a request that another open case of this node holds too. */
export interface RepeatedIdentifier {
  type: IdentifierType
  /** Where the request holds it, e.g. `data.identifiers[1]`: never its value. */
  path: string
  cases: CaseRef[]
}

function refOf(held: HeldCase): CaseRef {
  return { id: held.current.id, country: held.counterpart, status: held.current.status }
}

/** The cases holding `text` as a reference or an identifier (of `kind` only, when given), newest first. */
export function searchCases(cases: HeldCases, text: string, kind?: KeyKind): CaseMatch[] {
  const found = new Map<string, CaseMatch>()
  for (const key of searchKeys(text, kind)) {
    for (const { caseId: id, path } of cases.index.lookup(key)) {
      const held = cases.shown(id)
      if (held === undefined) continue
      const c = held.current
      let match = found.get(id)
      if (match === undefined) {
        match = {
          id,
          type: c.type,
          requester: c.requester,
          requested: c.requested,
          side: held.side,
          status: c.status,
          finished: isFinished(c),
          openedAt: c.openedAt,
          reference: c.request.caseReference,
          matched: [],
        }
        found.set(id, match)
      }
      match.matched.push({ kind: kindOfKey(key), path })
    }
  }
  return [...found.values()].sort((a, b) => b.openedAt.localeCompare(a.openedAt))
}

/**
 * The identifiers among `keys` that another open (not finished) case of this node holds, each
 * with those cases; `except` is the case the keys are of.
 */
export function repeatedIdentifiers(
  cases: HeldCases,
  keys: readonly RequestKey[],
  except?: string,
): RepeatedIdentifier[] {
  const repeated: RepeatedIdentifier[] = []
  for (const { key, path, repeatable } of keys) {
    if (!repeatable) continue
    const others: CaseRef[] = []
    const ids = new Set(cases.index.lookup(key).map((place) => place.caseId))
    for (const id of ids) {
      const held = id === except ? undefined : cases.shown(id)
      if (held !== undefined && !isFinished(held.current)) others.push(refOf(held))
    }
    if (others.length > 0) repeated.push({ type: kindOfKey(key) as IdentifierType, path, cases: others })
  }
  return repeated
}

/**
 * Tells the officer and the log that a request's identifiers are in other open cases: the feed
 * names the other cases and the fields, the log counts them; neither holds an identifier's value.
 */
export function warnRepeated(
  log: Logger,
  recorder: CaseRecorder,
  caseId: string,
  repeats: readonly RepeatedIdentifier[],
): void {
  if (repeats.length === 0) return
  const others = [...new Set(repeats.flatMap((r) => r.cases.map((c) => c.id)))]
  log.warn('cases.repeated-identifier', { caseId, identifiers: repeats.length, otherCases: others.join(',') })
  for (const r of repeats) recorder.publish('case-message', caseId, repeatedText(r))
}
