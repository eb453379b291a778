import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { Ledger } from '@pocnet/ledger'
import { afterEach, describe, expect, it } from 'vitest'
import { ReplayMemory } from '../src/replay.ts'

const HOUR = 3600_000
const WINDOW = 24 * HOUR
const T0 = Date.UTC(2026, 10, 1)

function accepted(createdAt: number, tag: number) {
  return {
    envelopeHash: new Uint8Array(32).fill(tag),
    receiptHash: new Uint8Array(32).fill(tag + 1),
    createdAt,
  }
}

describe('the replay memory', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('answers for ids inside the window and forgets those that aged out', () => {
    let now = T0
    const memory = new ReplayMemory(WINDOW, () => now)
    memory.remember('old', accepted(T0 - 2 * HOUR, 1))
    memory.remember('new', accepted(T0, 3))
    expect(memory.get('old')?.envelopeHash).toEqual(new Uint8Array(32).fill(1))
    // an id created before the window is never held: open() refuses it as too old anyway
    memory.remember('ancient', accepted(T0 - 2 * WINDOW, 5))
    expect(memory.get('ancient')).toBeUndefined()

    now = T0 + WINDOW - HOUR
    memory.remember('later', accepted(now, 7))
    expect(memory.size).toBe(2)
    expect(memory.get('old')).toBeUndefined()
    expect(memory.get('new')).toBeDefined()
  })

  it('loads the window from the ledger, not every message the node ever received', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-replay-'))
    let clock = T0
    const ledger = await Ledger.open({
      dir,
      identity: NodeIdentity.generate(),
      origin: 'pocnet.invalid/test/FR',
      clock: () => clock,
    })
    try {
      const receive = (id: string, createdAt: number, tag: number) =>
        ledger.append(
          {
            kind: 'message-received',
            actor: 'country:IT',
            counterpart: 'IT',
            messageId: id,
            detail: { messageKind: 'case-request', createdAt },
          },
          { blobs: [new Uint8Array([tag]), new Uint8Array([tag + 1]), new Uint8Array([tag + 2])] },
        )
      for (let day = 0; day < 10; day++) {
        clock = T0 + day * 24 * HOUR
        await receive(`m${day}`, clock, day * 3)
      }
      const memory = await ReplayMemory.load(ledger, WINDOW, () => clock)
      expect(memory.size).toBe(2)
      expect(memory.get('m9')).toBeDefined()
      expect(memory.get('m8')).toBeDefined()
      expect(memory.get('m7')).toBeUndefined()
    } finally {
      await ledger.close()
    }
  })
})
