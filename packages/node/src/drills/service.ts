import type { RosterState } from '@pocnet/directory'
import type { Ledger } from '@pocnet/ledger'
import type { OpenedEnvelope, RejectReason } from '@pocnet/protocol'
import type { InboundMessage } from '../delivery.ts'
import type { EventFeed } from '../feed.ts'
import type { Logger } from '../log.ts'
import type { Outbox } from '../outbox.ts'
import type { StartIndex } from '../snapshot/start-index.ts'
import { DrillBook, type ReceivedDrill } from './book.ts'
import { acceptsDrills, type DrillHours, type DrillsConfig, drillIntervalMs } from './config.ts'
import { DrillAnsweredError, DrillNotFoundError } from './errors.ts'
import {
  answerKind,
  DRILL_KIND,
  type DrillAnswerPayload,
  decodeDrillPayload,
  encodeAnswer,
  encodeDrill,
  isDrillKind,
} from './payload.ts'
import { rebuildDrills } from './rebuild.ts'
import { nextRoundAt, type RoundSchedule } from './schedule.ts'
import {
  type DrillCountrySummary,
  type ReceivedDrillView,
  receivedDrillView,
  type SentDrillView,
  sentDrillView,
  summarizeDrills,
} from './summary.ts'

/** The first check of the schedule after a start: the directory needs a moment to find the members. */
const FIRST_CHECK_MS = 30_000
/** Between checks at least a minute (a round no country could be sent to is tried again then), at most an hour. */
const MIN_CHECK_MS = 60_000
const MAX_CHECK_MS = 3_600_000
/** The shortest prefix of a drill's id `drills ack` takes. */
export const MIN_DRILL_REF_LENGTH = 8

export interface DrillsInit {
  country: string
  config: DrillsConfig | undefined
  ledger: Ledger
  outbox: Outbox
  feed: EventFeed
  getRoster: () => RosterState
  log: Logger
  now?: () => number
}

/** What became of one country's drill in a round: its id, or why it could not be sent. */
export interface DrillLaunch {
  country: string
  drillId: string | null
  error: string | null
}

/** Everything `pocnet drills` shows. */
export interface DrillsOverview {
  /** False: this node answers every drill with a signed refusal (`drills.accept: false`). */
  accepting: boolean
  /** The scheduled rounds, when configured. */
  schedule: { intervalMs: number; hours: DrillHours | null; nextRoundAt: string } | null
  countries: DrillCountrySummary[]
  sent: SentDrillView[]
  received: ReceivedDrillView[]
}

/**
 * Reachability drills (docs/operations.md, Drills): signed, sealed test messages to other members
 * over the real delivery path, opening no case. The counterpart's node receipts a drill at once;
 * its officer acknowledges it later with `pocnet drills ack`, or its node refuses it at once
 * when it takes no drills. Rounds run on the configured schedule, or by hand (`drills run`).
 */
export class Drills {
  readonly #init: DrillsInit
  readonly #now: () => number
  #book = new DrillBook()
  /** Drills whose answer is being sent: a second answer is refused meanwhile. */
  readonly #answering = new Set<string>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = true

  constructor(init: DrillsInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    // subscribed before the outbox starts, so no receipt of a drill goes unseen
    init.outbox.on('delivered', ({ item, receivedAt }) => {
      if (item.kind === DRILL_KIND) this.#book.receipted(item.messageId, receivedAt)
    })
    init.outbox.on('failed', ({ item, outcome }) => {
      if (item.kind === DRILL_KIND)
        this.#book.failed(
          item.messageId,
          outcome.status === 'expired' ? 'expired' : `rejected: ${outcome.reason}`,
        )
    })
  }

  get #schedule(): RoundSchedule | undefined {
    const intervalMs = drillIntervalMs(this.#init.config)
    if (intervalMs === undefined) return undefined
    const hours = this.#init.config?.hours
    return hours === undefined ? { intervalMs } : { intervalMs, hours }
  }

  /** Rebuilds the drills from the ledger entries the start index names; call before the outbox and delivery start. */
  async start(index?: StartIndex): Promise<void> {
    this.#book = await rebuildDrills(this.#init.ledger, this.#init.log, index)
    this.#stopped = false
    this.#arm(FIRST_CHECK_MS)
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Checks a drill envelope before it is accepted: a malformed one, or an answer to no drill of ours, is refused. */
  check(opened: OpenedEnvelope, fromCountry: string): RejectReason | undefined {
    if (!isDrillKind(opened.kind)) return undefined
    if (opened.caseId !== '') return 'malformed'
    const payload = decodeDrillPayload(opened.kind, opened.payload)
    if (payload === undefined) return 'malformed'
    if (payload.type !== 'drill' && this.#book.sentDrill(payload.drill)?.to !== fromCountry)
      return 'malformed'
    return undefined
  }

  /** A drill envelope the ledger now holds: a drill pages the officer, or is refused; an answer is recorded. */
  receive(message: InboundMessage, opened: OpenedEnvelope): void {
    if (!isDrillKind(message.kind)) return
    const payload = decodeDrillPayload(message.kind, opened.payload)
    if (payload === undefined) return
    const { log, feed } = this.#init
    if (payload.type !== 'drill') {
      this.#book.answered(payload.drill, message.from, { type: payload.type, at: payload.at })
      log.info('drills.answered', { drill: payload.drill, from: message.from, answer: payload.type })
      if (payload.type === 'refused')
        feed.publish({
          type: 'drill',
          caseId: '',
          at: new Date(this.#now()).toISOString(),
          summary: `${message.from} refused a reachability drill: it takes no drills`,
          detail: { drill: payload.drill, from: message.from, answer: 'refused' },
        })
      return
    }
    const drill: ReceivedDrill = { id: message.messageId, from: message.from, receivedAt: message.receivedAt }
    this.#book.addReceived(drill)
    if (!acceptsDrills(this.#init.config)) {
      void this.#answer(drill, 'refused', 'node').catch((err: unknown) =>
        log.warn('drills.refusal-failed', { drill: drill.id, to: drill.from, error: errorText(err) }),
      )
      return
    }
    // the officer on duty is paged through the notification hook, like for a new request
    feed.publish({
      type: 'drill',
      caseId: '',
      at: new Date(this.#now()).toISOString(),
      summary: `reachability drill from ${drill.from}: acknowledge it with \`pocnet drills ack ${drill.id.slice(0, MIN_DRILL_REF_LENGTH)}\``,
      detail: { drill: drill.id, from: drill.from },
    })
  }

  /**
   * A round now: a drill to each of `countries` (by default the configured ones, else every other
   * member). A country a drill cannot be sealed to (no directory record yet) is reported, not fatal.
   */
  async run(countries: readonly string[] | undefined, actor: string): Promise<DrillLaunch[]> {
    const targets = countries ?? this.#init.config?.countries ?? this.#otherMembers()
    const launches: DrillLaunch[] = []
    for (const country of targets) {
      if (country === this.#init.country) {
        launches.push({
          country,
          drillId: null,
          error: "this node's own country: drills go to other members",
        })
        continue
      }
      try {
        const item = await this.#init.outbox.submit({
          to: country,
          caseId: '',
          kind: DRILL_KIND,
          payload: encodeDrill(),
          actor,
        })
        this.#book.addSent({ id: item.messageId, to: country, sentAt: item.queuedAt, by: actor })
        launches.push({ country, drillId: item.messageId, error: null })
      } catch (err) {
        launches.push({ country, drillId: null, error: errorText(err) })
      }
    }
    this.#init.log.info('drills.round', {
      by: actor,
      sent: launches.filter((l) => l.drillId !== null).length,
      notSent: launches
        .filter((l) => l.drillId === null)
        .map((l) => `${l.country}: ${l.error}`)
        .join('; '),
    })
    return launches
  }

  /** An officer acknowledges drill `ref` (its id, or a unique prefix of it): a signed answer goes back. */
  async acknowledge(ref: string, user: string): Promise<ReceivedDrillView> {
    const drill = this.#find(ref)
    await this.#answer(drill, 'ack', `user:${user}`)
    return receivedDrillView(drill)
  }

  overview(): DrillsOverview {
    const schedule = this.#schedule
    const sent = this.#book.sent()
    return {
      accepting: acceptsDrills(this.#init.config),
      schedule:
        schedule === undefined
          ? null
          : {
              intervalMs: schedule.intervalMs,
              hours: schedule.hours ?? null,
              nextRoundAt: new Date(
                nextRoundAt(schedule, this.#book.lastSentBy('node'), this.#now()),
              ).toISOString(),
            },
      countries: summarizeDrills(sent),
      sent: sent.map(sentDrillView),
      received: this.#book.received().map(receivedDrillView),
    }
  }

  /** Per country drilled: counts, latest drill, receipt and acknowledgement times (for the audit report). */
  summary(): DrillCountrySummary[] {
    return summarizeDrills(this.#book.sent())
  }

  #find(ref: string): ReceivedDrill {
    const exact = this.#book.receivedDrill(ref)
    if (exact !== undefined) return exact
    const matches =
      ref.length < MIN_DRILL_REF_LENGTH ? [] : this.#book.received().filter((d) => d.id.startsWith(ref))
    if (matches.length !== 1) throw new DrillNotFoundError(ref, matches.length > 1)
    return matches[0]!
  }

  async #answer(drill: ReceivedDrill, type: DrillAnswerPayload['type'], actor: string): Promise<void> {
    if (drill.answer !== undefined) throw new DrillAnsweredError(drill.id, drill.answer.type, drill.answer.by)
    if (this.#answering.has(drill.id)) throw new DrillAnsweredError(drill.id, type, 'a call under way')
    this.#answering.add(drill.id)
    try {
      const at = this.#now()
      await this.#init.outbox.submit({
        to: drill.from,
        caseId: '',
        kind: answerKind(type),
        payload: encodeAnswer({ type, drill: drill.id, at }),
        actor,
      })
      this.#book.answeredHere(drill.id, { type, at, by: actor })
    } finally {
      this.#answering.delete(drill.id)
    }
  }

  #otherMembers(): string[] {
    return [...this.#init.getRoster().members.keys()].filter((c) => c !== this.#init.country).sort()
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => void this.#check(), Math.min(Math.max(delayMs, 0), MAX_CHECK_MS))
    this.#timer.unref()
  }

  /** Refuses the drills left unanswered while drills are refused, then runs the round when it is due. */
  async #check(): Promise<void> {
    const { log } = this.#init
    try {
      if (!acceptsDrills(this.#init.config))
        for (const drill of this.#book.unanswered())
          await this.#answer(drill, 'refused', 'node').catch((err: unknown) =>
            log.warn('drills.refusal-failed', { drill: drill.id, to: drill.from, error: errorText(err) }),
          )
      const schedule = this.#schedule
      if (
        schedule !== undefined &&
        nextRoundAt(schedule, this.#book.lastSentBy('node'), this.#now()) <= this.#now()
      )
        await this.run(undefined, 'node')
    } catch (err) {
      log.error('drills.check-failed', { error: errorText(err) })
    }
    const schedule = this.#schedule
    // a refusal that could not be sent (no record of the drill's sender yet) is tried again soon
    const refusalsLeft = !acceptsDrills(this.#init.config) && this.#book.unanswered().length > 0
    let wait = MAX_CHECK_MS
    if (schedule !== undefined)
      wait = nextRoundAt(schedule, this.#book.lastSentBy('node'), this.#now()) - this.#now()
    if (refusalsLeft) wait = MIN_CHECK_MS
    this.#arm(Math.max(wait, MIN_CHECK_MS))
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
