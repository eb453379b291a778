import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import type { ClockConfig, Urgency } from '@pocnet/cases'
import type { Ledger } from '@pocnet/ledger'
import type { CaseSummary } from '../casebook/summary.ts'
import { MIN_DRILL_REF_LENGTH } from '../drills/service.ts'
import type { EventFeed } from '../feed.ts'
import type { Logger } from '../log.ts'
import { type AnswerPageReason, answerPagesDue, answerPageText } from './answer-pages.ts'
import { type EscalationConfig, ladderFor, rungDueAt } from './ladder.ts'
import type { Channels } from './roster.ts'
import { watchAt } from './shifts.ts'
import type { DutyStore } from './store.ts'

/** Who a page is for: a place on the ladder of a received request, or on the requesting side the requester and their supervisor. */
export type PagePlace = 'officer' | 'backup' | 'supervisor' | 'requester'

/** A page as `case show` lists it: names and places, never a person's channels. */
export interface PageView {
  /** ISO 8601 UTC, on the node's case clock. */
  at: string
  place: PagePlace
  /** The person paged; null when the roster had no one in that place (the desk's hook is still run). */
  person: string | null
  shift: string | null
  /** When the rung fell due. */
  dueAt: string
  reason: 'new-request' | 'unacknowledged' | 'acknowledgement-late' | AnswerPageReason | 'drill'
  /** On the requesting side: the counterpart's 24/7 desk number to phone, from its directory record. */
  phone?: string
}

/** The counterpart desk's directory record, as far as a page needs it. */
export interface Desk {
  phone: string
  unit: string
}

export interface DutyPagerInit {
  ledger: Ledger
  feed: EventFeed
  store: DutyStore
  cases: () => CaseSummary[]
  clocks: ClockConfig
  escalation: EscalationConfig | undefined
  /** The counterpart's desk from the directory (undefined: no record found); `signal` aborts at stop. */
  deskOf: (country: string, signal: AbortSignal) => Promise<Desk | undefined>
  now: () => Date
  log: Logger
}

const CHECK_INTERVAL_MS = 15_000
const UNACKNOWLEDGED = new Set(['sent', 'delivered'])

/**
 * Pages people about requests not acknowledged in time. On the requested side each rung of the
 * urgency's ladder pages whoever holds its place on the roster when it falls due; on the
 * requesting side, once the acknowledgement deadline passes, the person who sent the request
 * (else the officer on duty) and the supervisor on duty are told to phone the counterpart's desk.
 * Each page is an "admin-action" ledger entry keyed like the case alerts, so it is sent once,
 * across restarts too; the notification hook receives who to reach and on which channels.
 */
export class DutyPager {
  readonly #init: DutyPagerInit
  readonly #paged = new Set<string>()
  readonly #pages = new Map<string, PageView[]>()
  /** Pages about reachability drills (no case), this start and before. */
  #drillPages = 0
  readonly #task: RepeatingTask
  #running: Promise<unknown> = Promise.resolve()
  #stopped = false
  /** Aborted by stop(): a directory lookup under way ends, so a stop does not wait for it. */
  readonly #shutdown = new AbortController()

  constructor(init: DutyPagerInit) {
    this.#init = init
    this.#task = repeatingTask(() => this.check().then(() => {}), CHECK_INTERVAL_MS)
  }

  /** Reads the pages sent before this start: the ledger entries at `pageSeqs` (the start index names them). */
  async load(pageSeqs: readonly number[]): Promise<void> {
    for (const seq of pageSeqs) {
      const e = await this.#init.ledger.get(seq)
      const d = e.detail
      if (d?.action !== 'page' || typeof d.key !== 'string') continue
      this.#paged.add(d.key)
      if (e.caseId === undefined) {
        if (d.reason === 'drill') this.#drillPages++
        continue
      }
      this.#remember(e.caseId, {
        at: String(d.at),
        place: d.place as PagePlace,
        person: typeof d.person === 'string' ? d.person : null,
        shift: typeof d.shift === 'string' ? d.shift : null,
        dueAt: String(d.dueAt),
        reason: d.reason as PageView['reason'],
        ...(typeof d.phone === 'string' ? { phone: d.phone } : {}),
      })
    }
  }

  start(): void {
    this.#task.start()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#task.stop()
    this.#shutdown.abort()
    await this.#running
  }

  /** Pages sent, this start and before, by the place of the person paged (for the metrics). */
  pageCounts(): Record<PagePlace, number> {
    const counts: Record<PagePlace, number> = { officer: 0, backup: 0, supervisor: 0, requester: 0 }
    for (const pages of this.#pages.values()) for (const page of pages) counts[page.place]++
    counts.officer += this.#drillPages
    return counts
  }

  /** The pages sent about a case, oldest first. */
  pagesOf(caseId: string): PageView[] {
    return [...(this.#pages.get(caseId) ?? [])]
  }

  /** Sends every page due now and not sent before; one check at a time. */
  check(): Promise<PageView[]> {
    if (this.#stopped) return Promise.resolve([])
    const run = this.#running.then(() => this.#check())
    this.#running = run.catch((err: unknown) =>
      this.#init.log.error('duty.page-failed', { error: String((err as Error).message ?? err) }),
    )
    return run
  }

  async #check(): Promise<PageView[]> {
    const { clocks, escalation } = this.#init
    const now = this.#init.now().getTime()
    const sent: PageView[] = []
    // a node that keeps no roster pages no one: its hook still has every new-request and deadline event
    if (this.#init.store.roster.shifts.length === 0) return sent
    for (const c of this.#init.cases()) {
      sent.push(...(await this.#answerPages(c, now)))
      if (!UNACKNOWLEDGED.has(c.status)) continue
      const urgency = c.urgency as Urgency
      const deadline = clocks.acknowledgementDeadlineMinutes[urgency]
      const opened = Date.parse(c.openedAt)
      if (c.side === 'requested') {
        for (const [i, rung] of ladderFor(escalation, urgency).entries()) {
          const due = rungDueAt(rung, opened, deadline)
          if (due > now) break
          const key = `${c.id}/page/${i}/${rung.page}`
          if (this.#paged.has(key)) continue
          const watch = watchAt(this.#init.store.roster, now)
          const person = watch === undefined ? null : watch[rung.page]
          const reason = i === 0 && rung.atShare === 0 ? 'new-request' : 'unacknowledged'
          sent.push(
            await this.#page(c, key, { place: rung.page, person, shift: watch?.shift ?? null, due, reason }),
          )
        }
        continue
      }
      const due = opened + deadline * 60_000
      const lateKeys = [`${c.id}/page/late/requester`, `${c.id}/page/late/supervisor`]
      if (due > now || lateKeys.every((k) => this.#paged.has(k))) continue
      const watch = watchAt(this.#init.store.roster, now)
      const desk = await this.#init.deskOf(c.requested, this.#shutdown.signal).catch(() => undefined)
      const requester = (await this.#openerOf(c.id)) ?? watch?.officer ?? null
      for (const [place, person] of [
        ['requester', requester],
        ['supervisor', watch?.supervisor ?? null],
      ] as const) {
        const key = `${c.id}/page/late/${place}`
        if (this.#paged.has(key)) continue
        sent.push(
          await this.#page(c, key, {
            place,
            person,
            shift: watch?.shift ?? null,
            due,
            reason: 'acknowledgement-late',
            ...(desk === undefined ? {} : { desk }),
          }),
        )
      }
    }
    return sent
  }

  /** The pages an overdue answer calls for (answer-pages.ts), each once. */
  async #answerPages(c: CaseSummary, now: number): Promise<PageView[]> {
    const due = answerPagesDue(c, now)
    if (due === undefined || due.pages.every((p) => this.#paged.has(p.key))) return []
    const watch = watchAt(this.#init.store.roster, now)
    const desk =
      c.side === 'requester'
        ? await this.#init.deskOf(c.requested, this.#shutdown.signal).catch(() => undefined)
        : undefined
    const sent: PageView[] = []
    for (const { place, key } of due.pages) {
      if (this.#paged.has(key)) continue
      const person =
        place === 'requester'
          ? ((await this.#openerOf(c.id)) ?? watch?.officer ?? null)
          : (watch?.[place] ?? null)
      sent.push(
        await this.#page(c, key, {
          place,
          person,
          shift: watch?.shift ?? null,
          due: due.due,
          reason: due.reason,
          ...(desk === undefined ? {} : { desk }),
        }),
      )
    }
    return sent
  }

  async #page(
    c: CaseSummary,
    key: string,
    p: {
      place: PagePlace
      person: string | null
      shift: string | null
      due: number
      reason: PageView['reason']
      desk?: Desk
    },
  ): Promise<PageView> {
    const counterpart = c.side === 'requested' ? c.requester : c.requested
    const view: PageView = {
      at: this.#init.now().toISOString(),
      place: p.place,
      person: p.person,
      shift: p.shift,
      dueAt: new Date(p.due).toISOString(),
      reason: p.reason,
      ...(p.desk === undefined ? {} : { phone: p.desk.phone }),
    }
    this.#paged.add(key)
    await this.#init.ledger.append({
      kind: 'admin-action',
      actor: 'node',
      caseId: c.id,
      counterpart,
      detail: { action: 'page', key, ...view },
    })
    this.#remember(c.id, view)
    const who = p.person ?? `no ${p.place} on the roster`
    const summary =
      p.reason === 'answer-overdue' || p.reason === 'answer-late'
        ? answerPageText(c, who, p.place, p.reason, counterpart, p.desk)
        : p.reason === 'acknowledgement-late'
          ? `${who} (${p.place}): ${counterpart} has not acknowledged ${c.urgency} request ${c.id}: phone ${counterpart}${p.desk === undefined ? ' (no directory record found)' : ` at ${p.desk.phone} (${p.desk.unit})`}`
          : `${who} (${p.place}): ${c.urgency} ${c.type} request from ${counterpart} ${p.reason === 'new-request' ? 'arrived' : 'still unacknowledged'}; acknowledge by ${c.ackDueAt ?? view.dueAt}${c.answerDueAt === null ? '' : `, answer by ${c.answerDueAt}`}`
    const channels: Channels = p.person === null ? {} : this.#init.store.channelsOf(p.person)
    this.#init.feed.publish(
      {
        type: 'page',
        caseId: c.id,
        at: view.at,
        summary,
        detail: {
          place: p.place,
          person: p.person,
          shift: p.shift,
          reason: p.reason,
          counterpart,
          ...(p.desk === undefined ? {} : { counterpartPhone: p.desk.phone }),
        },
      },
      { reach: { person: p.person, ...channels } },
    )
    return view
  }

  /**
   * Pages the officer on duty about a reachability drill from `from`, which they must acknowledge
   * like a real request (`pocnet drills ack`); once per drill, in the ledger without a case.
   */
  async pageDrill(drill: { id: string; from: string }): Promise<PageView | undefined> {
    const key = `drill/${drill.id}/page/officer`
    if (this.#stopped || this.#paged.has(key)) return undefined
    // as for requests: a node that keeps no roster pages no one, its hook has the drill event
    if (this.#init.store.roster.shifts.length === 0) return undefined
    const now = this.#init.now()
    const watch = watchAt(this.#init.store.roster, now.getTime())
    const person = watch?.officer ?? null
    const view: PageView = {
      at: now.toISOString(),
      place: 'officer',
      person,
      shift: watch?.shift ?? null,
      dueAt: now.toISOString(),
      reason: 'drill',
    }
    this.#paged.add(key)
    this.#drillPages++
    await this.#init.ledger.append({
      kind: 'admin-action',
      actor: 'node',
      counterpart: drill.from,
      detail: { action: 'page', key, drill: drill.id, ...view },
    })
    const channels: Channels = person === null ? {} : this.#init.store.channelsOf(person)
    this.#init.feed.publish(
      {
        type: 'page',
        caseId: '',
        at: view.at,
        summary: `${person ?? 'no officer on the roster'} (officer): reachability drill from ${drill.from}: acknowledge it with \`pocnet drills ack ${drill.id.slice(0, MIN_DRILL_REF_LENGTH)}\``,
        detail: {
          place: 'officer',
          person,
          shift: view.shift,
          reason: 'drill',
          counterpart: drill.from,
          drill: drill.id,
        },
      },
      { reach: { person, ...channels } },
    )
    return view
  }

  #remember(caseId: string, view: PageView): void {
    const list = this.#pages.get(caseId) ?? []
    list.push(view)
    this.#pages.set(caseId, list)
  }

  /** The local user who sent the request of a case this side opened. */
  async #openerOf(caseId: string): Promise<string | undefined> {
    for await (const e of this.#init.ledger.scan({ caseId, kind: 'case-state-changed' })) {
      if (e.detail?.event === 'opened' && e.actor.startsWith('user:')) return e.actor.slice('user:'.length)
    }
    return undefined
  }
}
