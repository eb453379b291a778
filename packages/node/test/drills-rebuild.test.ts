import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { Ledger } from '@pocnet/ledger'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DRILL_ACK_KIND,
  DRILL_KIND,
  DRILL_REFUSED_KIND,
  encodeAnswer,
  encodeDrill,
} from '../src/drills/payload.ts'
import { rebuildDrills } from '../src/drills/rebuild.ts'
import { createLogger } from '../src/log.ts'

const T0 = Date.UTC(2026, 10, 1)
const id = (n: number) => n.toString(16).padStart(32, '0')
const envelope = (n: number) => new Uint8Array([0xee, n])

describe('the drill book rebuilt from the ledger', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('has every drill sent and received, their receipts, failures and answers, after a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-drills-'))
    let clock = T0
    const ledger = await Ledger.open({
      dir,
      identity: NodeIdentity.generate(),
      origin: 'pocnet.invalid/test/FR',
      clock: () => clock,
    })
    const lines: string[] = []
    const log = createLogger({ write: (line: string) => lines.push(line) })
    try {
      // sent by FR: to DE (receipted, acknowledged), to IT (refused), to ES (expired)
      for (const [n, to, by] of [
        [1, 'DE', 'node'],
        [2, 'IT', 'user:ops'],
        [3, 'ES', 'node'],
      ] as const)
        await ledger.append(
          {
            kind: 'message-sent',
            actor: by,
            counterpart: to,
            messageId: id(n),
            detail: { messageKind: DRILL_KIND },
          },
          { blobs: [envelope(n), encodeDrill()] },
        )
      clock += 1000
      for (const n of [1, 2])
        await ledger.append({
          kind: 'receipt',
          actor: `country:${n === 1 ? 'DE' : 'IT'}`,
          messageId: id(n),
          detail: { status: 'accepted', receivedAt: T0 + 300 },
        })
      await ledger.append({
        kind: 'delivery-failed',
        actor: 'node',
        messageId: id(3),
        detail: { reason: 'expired' },
      })
      const answer = (n: number, from: string, kind: string, type: 'ack' | 'refused', at: number) =>
        ledger.append(
          {
            kind: 'message-received',
            actor: `country:${from}`,
            counterpart: from,
            messageId: id(100 + n),
            detail: { messageKind: kind },
          },
          { blobs: [envelope(100 + n), new Uint8Array([n]), encodeAnswer({ type, drill: id(n), at })] },
        )
      await answer(1, 'DE', DRILL_ACK_KIND, 'ack', T0 + 60_000)
      await answer(2, 'IT', DRILL_REFUSED_KIND, 'refused', T0 + 400)
      // received by FR from PL, acknowledged by an officer; from PT, not yet
      for (const [n, from] of [
        [10, 'PL'],
        [11, 'PT'],
      ] as const)
        await ledger.append(
          {
            kind: 'message-received',
            actor: `country:${from}`,
            counterpart: from,
            messageId: id(n),
            detail: { messageKind: DRILL_KIND },
          },
          { blobs: [envelope(n), new Uint8Array([n]), encodeDrill()] },
        )
      clock += 5000
      await ledger.append(
        {
          kind: 'message-sent',
          actor: 'user:duty',
          counterpart: 'PL',
          messageId: id(200),
          detail: { messageKind: DRILL_ACK_KIND },
        },
        { blobs: [envelope(200), encodeAnswer({ type: 'ack', drill: id(10), at: clock })] },
      )

      const book = await rebuildDrills(ledger, log)
      expect(book.sent().map((d) => [d.to, d.by, d.receiptAt, d.failed, d.answer])).toEqual([
        ['DE', 'node', T0 + 300, undefined, { type: 'ack', at: T0 + 60_000 }],
        ['IT', 'user:ops', T0 + 300, undefined, { type: 'refused', at: T0 + 400 }],
        ['ES', 'node', undefined, 'expired', undefined],
      ])
      expect(book.received().map((d) => [d.from, d.answer])).toEqual([
        ['PL', { type: 'ack', at: clock, by: 'user:duty' }],
        ['PT', undefined],
      ])
      expect(book.unanswered().map((d) => d.from)).toEqual(['PT'])
      expect(book.lastSentBy('node')).toBe(T0)
      expect(lines).toEqual([])
    } finally {
      await ledger.close()
    }
  })
})
