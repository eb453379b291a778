import type { PublishResult } from '@pocnet/directory'
import type { Logger } from '../log.ts'

/**
 * Why this node's record is not, or not fully, in the directory: `record-refused` (a field breaks
 * a record rule), `contact-unreadable` (contact.json cannot be read as JSON), `not-stored` (issued,
 * but no peer stored it: none reachable), `publish-failed` (the DHT put failed).
 */
export type PublicationProblemReason =
  | 'record-refused'
  | 'contact-unreadable'
  | 'not-stored'
  | 'publish-failed'

export interface PublicationProblem {
  reason: PublicationProblemReason
  /** The file to fix (contact.json's path), when the problem is in one. */
  file: string | null
  /** The field that breaks a rule, as contact.json names it (`timeZone`), for `record-refused`. */
  field: string | null
  /** The rule broken, or the error, in words. */
  rule: string
  /** What the operator does about it. */
  fix: string
  /** The whole problem in one sentence: the file, the field, the rule and the fix. */
  message: string
  /** When the first attempt that met this same problem ended (ms since the epoch). */
  since: number
}

/**
 * This node's own directory record as `pocnet status` shows it. `state`: `pending` before the
 * first attempt ends; `published` when the latest attempt stored the record on at least one peer;
 * `unstored` when it was issued but no peer stored it (members connected to this node can still
 * fetch it from the node); `not-published` when the record was refused or its publication failed.
 */
export interface DirectoryPublication {
  state: 'pending' | 'published' | 'unstored' | 'not-published'
  /** The last record stored by at least one peer since start, else null. */
  lastPublished: { at: number; seq: number; storedBy: number } | null
  /** Why the latest attempt did not publish, else null. */
  problem: PublicationProblem | null
}

/** A problem as the publisher found it, before it is dated. */
export type FoundProblem = Omit<PublicationProblem, 'since'>

/** What is wrong and where (file, field), without the fix: an error's message, with the fix as its hint. */
export function problemStatement(parts: Omit<FoundProblem, 'message'>): string {
  const what = parts.reason === 'not-stored' ? 'is stored by no peer' : 'is not published'
  const where = [parts.file, parts.field === null ? null : `field ${parts.field}`].filter((w) => w !== null)
  return `this node's directory record ${what}: ${where.length === 0 ? '' : `${where.join(', ')}: `}${parts.rule}`
}

/** A found problem with its one-sentence `message`: where (file, field), the rule, then the fix. */
export function foundProblem(parts: Omit<FoundProblem, 'message'>): FoundProblem {
  return { ...parts, message: `${problemStatement(parts)}; fix: ${parts.fix}` }
}

/**
 * The outcome of every publication of this node's record (at start, `pocnet directory publish`,
 * the republish timer). The state changes only when an attempt ends, and a problem keeps its
 * `since` and is logged once while attempts keep meeting it, so the status does not flap.
 */
export class PublicationStatus {
  readonly #log: Logger
  readonly #now: () => number
  #state: DirectoryPublication = { state: 'pending', lastPublished: null, problem: null }

  constructor(init: { log: Logger; now?: () => number }) {
    this.#log = init.log
    this.#now = init.now ?? Date.now
  }

  get current(): DirectoryPublication {
    return this.#state
  }

  /** A record was issued and stored by `storedBy` peers (0: by none). */
  issued(seq: number, storedBy: number): void {
    if (storedBy > 0) {
      this.#state = { state: 'published', lastPublished: { at: this.#now(), seq, storedBy }, problem: null }
      return
    }
    this.#problem(
      'unstored',
      foundProblem({
        reason: 'not-stored',
        file: null,
        field: null,
        rule: `record seq ${seq} was issued, but no peer was reachable to store it`,
        fix: 'check `pocnet peers` and the bootstrap addresses in config.json; it is sent again once a member connects, or run `pocnet directory publish`',
      }),
    )
  }

  /** The record was refused (`found` names the field and the rule). */
  failed(found: FoundProblem): void {
    this.#problem('not-published', found)
  }

  /** Sending the record failed: DHT unreachable, timed out, this node not a member. */
  publishFailed(err: unknown): void {
    this.failed(
      foundProblem({
        reason: 'publish-failed',
        file: null,
        field: null,
        rule: String((err as Error).message ?? err),
        fix: 'check `pocnet peers` and the bootstrap addresses in config.json; the node tries again once a member connects, or run `pocnet directory publish`',
      }),
    )
  }

  /** For the directory's republish timer (`DirectoryInit.onRepublished`). */
  readonly onRepublished = (outcome: { result: PublishResult } | { error: Error }): void => {
    if ('error' in outcome) this.publishFailed(outcome.error)
    else this.issued(outcome.result.record.seq, outcome.result.storedBy)
  }

  #problem(state: 'unstored' | 'not-published', found: FoundProblem): void {
    const held = this.#state.problem
    const same =
      held !== null && held.reason === found.reason && held.field === found.field && held.rule === found.rule
    this.#state = {
      state,
      lastPublished: this.#state.lastPublished,
      problem: { ...found, since: same ? held.since : this.#now() },
    }
    if (same) return
    const fields = {
      reason: found.reason,
      file: found.file,
      field: found.field,
      rule: found.rule,
      fix: found.fix,
      message: found.message,
    }
    if (found.reason === 'record-refused' || found.reason === 'contact-unreadable')
      this.#log.error('directory.own-record-refused', fields)
    else if (found.reason === 'publish-failed') this.#log.warn('directory.publish-failed', fields)
  }
}
