import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  createFederation,
  type Federation,
  federationLogs,
  preservationForm,
  runCli,
  runCliJson,
  spawnNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// A node's own answer-deadline table (config.json answerDeadlineMinutes, docs/operations.md §4):
// the requested side's configured deadline is the one its `case show` gives, the requester keeps
// its preset's. Real daemons, the real CLI.

/** FR's own deadline for an urgent preservation: 5 days 7 hours, unlike any preset's. */
const FR_PRESERVATION_URGENT_MINUTES = (5 * 24 + 7) * 60
/** The pocnet-default preset's answer deadline for an urgent preservation, which IT keeps. */
const PRESET_PRESERVATION_URGENT_MINUTES = 24 * 60

interface Shown {
  answerDueAt: string | null
  case: { status: string; deliveredAt?: string }
}

describe("a node's own answer deadlines", () => {
  let fed: Federation

  beforeAll(async () => {
    fed = await createFederation({
      countries: ['IT', 'FR'],
      configure: (config, country) =>
        country === 'FR'
          ? {
              ...config,
              answerDeadlineMinutes: {
                default: { emergency: 600, urgent: 3000, routine: 30_000 },
                preservation: { emergency: 300, urgent: FR_PRESERVATION_URGENT_MINUTES, routine: 9000 },
              },
            }
          : config,
    })
    await Promise.all([spawnNode(fed.node('IT')), spawnNode(fed.node('FR'))])
    await waitUntilReachable(fed.node('IT'), fed.node('FR'))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it("shows the configured deadline in the requested side's case show, the preset's on the other", async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const [it_, fr] = [fed.node('IT'), fed.node('FR')]
    const file = join(fed.baseDir, 'preservation.json')
    await writeFile(file, JSON.stringify(preservationForm()))
    const { caseId } = await runCliJson<{ caseId: string }>(it_, [
      'request',
      'send',
      '--to',
      'FR',
      '--file',
      file,
      '--json',
    ])
    const shown = async (node: typeof it_) => {
      const r = await runCli(node, ['case', 'show', caseId, '--json'])
      return r.code === 0 ? (JSON.parse(r.stdout) as Shown) : undefined
    }
    for (const node of [fr, it_])
      await waitFor(async () => (await shown(node))?.case.deliveredAt !== undefined, {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `${node.country} to see case ${caseId} delivered`,
      })

    const due = (s: Shown | undefined, minutes: number) =>
      new Date(Date.parse(s!.case.deliveredAt!) + minutes * 60_000).toISOString()
    const atFr = await shown(fr)
    expect(atFr?.answerDueAt).toBe(due(atFr, FR_PRESERVATION_URGENT_MINUTES))
    const text = await runCli(fr, ['case', 'show', caseId])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^ {2}answer due {3}.* \(in 5d 6h\)$/m)
    const atIt = await shown(it_)
    expect(atIt?.answerDueAt).toBe(due(atIt, PRESET_PRESERVATION_URGENT_MINUTES))
  })
})
