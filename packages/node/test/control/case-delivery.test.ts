import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { Ledger } from '@pocnet/ledger'
import { afterEach, describe, expect, it } from 'vitest'
import { caseDeliveries } from '../../src/control/handlers/case-delivery.ts'
import type { Outbox } from '../../src/outbox.ts'

const CASE = 'IT-20261206-0000aaaa'
const MESSAGE = 'ab'.repeat(16)

describe('what became of each message sent on a case', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  async function ledgerWithOneSent(): Promise<Ledger> {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-deliveries-'))
    const ledger = await Ledger.open({
      dir,
      identity: NodeIdentity.generate(),
      origin: 'pocnet.invalid/test/IT',
    })
    await ledger.append(
      {
        kind: 'message-sent',
        actor: 'user:desk',
        counterpart: 'FR',
        caseId: CASE,
        messageId: MESSAGE,
        detail: { messageKind: 'case.request' },
      },
      { blobs: [new Uint8Array([1]), new Uint8Array([2])] },
    )
    return ledger
  }

  it('is delivered when its receipt lands while the ledger is read, not unreadable', async () => {
    const ledger = await ledgerWithOneSent()
    try {
      // the outbox settles the message just after the ledger was read: it appends the receipt,
      // then lets the item go, so the outbox no longer has it when asked
      let reads = 0
      const racing = Object.create(ledger) as Ledger
      racing.query = async (options) => {
        const entries = await ledger.query(options)
        if (reads++ === 0)
          await ledger.append({
            kind: 'receipt',
            actor: 'country:FR',
            counterpart: 'FR',
            caseId: CASE,
            messageId: MESSAGE,
            detail: { status: 'accepted', receivedAt: 1 },
          })
        return entries
      }
      const outbox = { pending: () => undefined } as unknown as Outbox
      const [delivery] = await caseDeliveries(racing, outbox, CASE)
      expect(reads).toBe(2)
      expect(delivery).toMatchObject({ messageId: MESSAGE, state: 'delivered', lastError: null })
    } finally {
      await ledger.close()
    }
  })

  it('is unreadable when it is neither settled nor waiting in the outbox', async () => {
    const ledger = await ledgerWithOneSent()
    try {
      const outbox = { pending: () => undefined } as unknown as Outbox
      const [delivery] = await caseDeliveries(ledger, outbox, CASE)
      expect(delivery).toMatchObject({ state: 'unreadable', lastError: 'its stored envelope cannot be read' })
    } finally {
      await ledger.close()
    }
  })
})
