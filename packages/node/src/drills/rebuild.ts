import type { Ledger, LedgerEntry } from '@pocnet/ledger'
import type { Logger } from '../log.ts'
import { emptyStartIndex, foldFrom, type StartIndex } from '../snapshot/start-index.ts'
import { DrillBook } from './book.ts'
import { DRILL_ACK_KIND, DRILL_KIND, DRILL_REFUSED_KIND, decodeDrillPayload } from './payload.ts'

/** Where an answer's payload is among its entry's blobs: message-sent (envelope, payload), message-received (envelope, receipt, payload). */
const PAYLOAD_BLOB = { 'message-sent': 1, 'message-received': 2 } as const

const isAnswerKind = (kind: unknown) => kind === DRILL_ACK_KIND || kind === DRILL_REFUSED_KIND

/**
 * The drill book from the ledger (docs/ledger.md, Drills): drills sent and their receipts or
 * failures, answers received; drills received and the answers sent. An answer whose payload can
 * no longer be read is logged and left out, never allowed to stop the start.
 */
export async function rebuildDrills(ledger: Ledger, log: Logger, index?: StartIndex): Promise<DrillBook> {
  // the entries the start index names (snapshot/start-index.ts); folded from the whole ledger when none is given
  if (index === undefined) {
    index = emptyStartIndex()
    await foldFrom(ledger, index, 0)
  }
  const book = new DrillBook()
  const answers: LedgerEntry[] = []
  for (const seq of index.drillTraffic) {
    const e = await ledger.get(seq)
    const kind = e.detail?.messageKind
    if (e.kind === 'message-sent') {
      if (kind === DRILL_KIND && e.messageId !== undefined && e.counterpart !== undefined)
        book.addSent({ id: e.messageId, to: e.counterpart, sentAt: e.time, by: e.actor })
      else if (isAnswerKind(kind)) answers.push(e)
    } else if (e.kind === 'message-received') {
      if (kind === DRILL_KIND && e.messageId !== undefined && e.counterpart !== undefined)
        book.addReceived({ id: e.messageId, from: e.counterpart, receivedAt: e.time })
      else if (isAnswerKind(kind)) answers.push(e)
    }
  }
  for (const seq of index.drillOutcomes) {
    const e = await ledger.get(seq)
    if (e.messageId === undefined || book.sentDrill(e.messageId) === undefined) continue
    if (e.kind === 'receipt') {
      if (e.detail?.status === 'accepted') book.receipted(e.messageId, Number(e.detail.receivedAt))
      else book.failed(e.messageId, `rejected: ${String(e.detail?.reason)}`)
    } else if (e.kind === 'delivery-failed') book.failed(e.messageId, String(e.detail?.reason ?? 'expired'))
  }
  answers.sort((a, b) => a.seq - b.seq)
  for (const e of answers) {
    const kind = String(e.detail?.messageKind)
    const blob = e.blobs[PAYLOAD_BLOB[e.kind as keyof typeof PAYLOAD_BLOB]]
    let bytes: Uint8Array | undefined
    try {
      bytes = blob === undefined ? undefined : await ledger.getBlob(blob)
    } catch {
      bytes = undefined
    }
    const answer = bytes === undefined ? undefined : decodeDrillPayload(kind, bytes)
    if (answer === undefined || answer.type === 'drill') {
      log.error('drills.unreadable-answer', { seq: e.seq, messageId: e.messageId })
      continue
    }
    const { type, at } = answer
    if (e.kind === 'message-received') book.answered(answer.drill, e.counterpart ?? '', { type, at })
    else book.answeredHere(answer.drill, { type, at, by: e.actor })
  }
  return book
}
