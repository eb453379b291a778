import { FrameOverBudgetError } from '@pocnet/protocol'
import { describe, expect, it } from 'vitest'
import { createFrameBudget } from '../src/frame-budget.ts'
import { createLogger } from '../src/log.ts'

const PROTOCOL = '/pocnet/deliver/1.0.0'
const MiB = 1024 * 1024

interface Line {
  event: string
  peer?: string
  member?: string | null
  limit?: string
  refusedSinceStart?: number
}

function budgetWithLog(frameBudget?: { totalBytes: number; perMemberBytes: number }) {
  const lines: Line[] = []
  const log = createLogger({ level: 'warn', write: (line) => lines.push(JSON.parse(line) as Line) })
  const budget = createFrameBudget(frameBudget === undefined ? {} : { frameBudget }, log, (peer) =>
    peer === 'peer-de' ? 'DE' : undefined,
  )
  return { budget, lines }
}

describe("the node's frame budget", () => {
  it('is DEFAULT_FRAME_BUDGET unless config.json sets one', () => {
    expect(budgetWithLog().budget.limits).toEqual({ totalBytes: 64 * MiB, perPeerBytes: 16 * MiB })
    expect(budgetWithLog({ totalBytes: 8 * MiB, perMemberBytes: 2 * MiB }).budget.limits).toEqual({
      totalBytes: 8 * MiB,
      perPeerBytes: 2 * MiB,
    })
  })

  it('counts every refusal and logs one line per member every 10 s, naming the limit', () => {
    const { budget, lines } = budgetWithLog({ totalBytes: 4 * MiB, perMemberBytes: 2 * MiB })
    budget.take('peer-de', 2 * MiB, PROTOCOL)
    for (let i = 0; i < 5; i++)
      expect(() => budget.take('peer-de', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    budget.take('peer-xx', 2 * MiB, PROTOCOL)
    expect(() => budget.take('peer-yy', 1, PROTOCOL)).toThrow(FrameOverBudgetError)
    expect(budget.refused).toBe(6)
    expect(lines).toEqual([
      expect.objectContaining({
        event: 'frames.over-budget',
        peer: 'peer-de',
        member: 'DE',
        limit: 'perMemberBytes',
        refusedSinceStart: 1,
      }),
      expect.objectContaining({ peer: 'peer-yy', member: null, limit: 'totalBytes', refusedSinceStart: 1 }),
    ])
  })
})
