/** The counterpart's answer to a drill this node sent, as its signed message says. */
export interface DrillAnswer {
  type: 'ack' | 'refused'
  /** When its officer acknowledged, or its node refused (its clock, signed). */
  at: number
}

/** A drill this node sent, and what became of it. */
export interface SentDrill {
  /** The drill's message id, hex. */
  id: string
  to: string
  sentAt: number
  /** The ledger actor who started it: `node` for a scheduled round, `user:<name>` for `drills run`. */
  by: string
  /** When the counterpart's node received it, as its signed receipt says: the machine receipt. */
  receiptAt?: number
  /** Why it never arrived: `expired`, or `rejected: <reason>` from a signed receipt. */
  failed?: string
  answer?: DrillAnswer
}

/** A drill another member sent to this node, and how this side answered it. */
export interface ReceivedDrill {
  id: string
  from: string
  receivedAt: number
  /** The answer this node sent: `by` is `user:<name>` for an acknowledgement, `node` for a refusal. */
  answer?: DrillAnswer & { by: string }
}

/**
 * Every drill sent and received, in memory: rebuilt from the ledger at start (rebuild.ts), then
 * kept up to date as drills, receipts and answers come and go. The ledger is the record.
 */
export class DrillBook {
  readonly #sent = new Map<string, SentDrill>()
  readonly #received = new Map<string, ReceivedDrill>()

  addSent(drill: SentDrill): void {
    this.#sent.set(drill.id, drill)
  }

  addReceived(drill: ReceivedDrill): void {
    this.#received.set(drill.id, drill)
  }

  sentDrill(id: string): SentDrill | undefined {
    return this.#sent.get(id)
  }

  receivedDrill(id: string): ReceivedDrill | undefined {
    return this.#received.get(id)
  }

  /** The counterpart's node receipted drill `id`. */
  receipted(id: string, receiptAt: number): void {
    const drill = this.#sent.get(id)
    if (drill !== undefined) drill.receiptAt = receiptAt
  }

  failed(id: string, why: string): void {
    const drill = this.#sent.get(id)
    if (drill !== undefined) drill.failed = why
  }

  /** The counterpart answered drill `id`; the first answer stands. False when this node sent no such drill to `from`. */
  answered(id: string, from: string, answer: DrillAnswer): boolean {
    const drill = this.#sent.get(id)
    if (drill === undefined || drill.to !== from) return false
    drill.answer ??= answer
    return true
  }

  /** This node answered drill `id` (an acknowledgement or a refusal); the first answer stands. */
  answeredHere(id: string, answer: DrillAnswer & { by: string }): void {
    const drill = this.#received.get(id)
    if (drill !== undefined) drill.answer ??= answer
  }

  /** Drills sent, oldest first. */
  sent(): SentDrill[] {
    return [...this.#sent.values()].sort((a, b) => a.sentAt - b.sentAt)
  }

  /** Drills received, oldest first. */
  received(): ReceivedDrill[] {
    return [...this.#received.values()].sort((a, b) => a.receivedAt - b.receivedAt)
  }

  /** Received drills this node has not answered yet. */
  unanswered(): ReceivedDrill[] {
    return this.received().filter((d) => d.answer === undefined)
  }

  /** When the latest drill `by` started was sent (a scheduled round: `node`). */
  lastSentBy(by: string): number | undefined {
    let last: number | undefined
    for (const d of this.#sent.values())
      if (d.by === by && (last === undefined || d.sentAt > last)) last = d.sentAt
    return last
  }
}
