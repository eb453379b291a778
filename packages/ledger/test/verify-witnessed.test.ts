import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyLedger } from '../src/verify.ts'
import { NodeIdentity, openTestLedger, sampleEvent, tempDir } from './fixtures/ledger.ts'

// The verifier told of a checkpoint from outside the ledger (the one a witness cosigned, from
// equivocation evidence): a ledger rewritten under the same key fails at that checkpoint's size.

const identity = NodeIdentity.generate()
const WITNESSED = 11
let work: { path: string; cleanup: () => Promise<void> }
let witnessed: string
const bundles: Record<'original' | 'rewritten', string> = { original: '', rewritten: '' }

/** 20 entries, checkpoints at 11 and 20; the rewritten copy changes entry 6 and re-signs both. */
beforeAll(async () => {
  work = await tempDir()
  for (const which of ['original', 'rewritten'] as const) {
    const ledger = await openTestLedger(join(work.path, which), identity)
    for (let i = 0; i < 20; i++) {
      const event = sampleEvent(i)
      await ledger.append(which === 'rewritten' && i === 6 ? { ...event, caseId: 'rewritten' } : event)
      if (i + 1 === WITNESSED) {
        const checkpoint = await ledger.checkpoint()
        if (which === 'original') witnessed = checkpoint.note
      }
    }
    bundles[which] = join(work.path, `${which}.bundle`)
    await ledger.export(bundles[which])
    await ledger.close()
  }
})
afterAll(async () => {
  await work.cleanup()
})

const WHERE = 'the checkpoint the witness cosigned (evidence.json)'

describe('verify against a checkpoint from outside the ledger', () => {
  it('passes the ledger the checkpoint was taken from, bundle and data directory', async () => {
    for (const path of [bundles.original, join(work.path, 'original')]) {
      const report = await verifyLedger(path, { checkpoints: [{ note: witnessed, where: WHERE }] })
      expect(report.problem).toBeUndefined()
      expect(report.ok).toBe(true)
    }
  })

  it('fails a rewritten ledger at that size, naming where the checkpoint came from', async () => {
    for (const threads of [0, 2]) {
      const report = await verifyLedger(bundles.rewritten, {
        threads,
        chunkEntries: 8,
        parallelFrom: 0,
        checkpoints: [{ note: witnessed, where: WHERE }],
      })
      expect(report.ok).toBe(false)
      expect(report.problem?.reason).toBe(
        `two validly signed checkpoints for size ${WITNESSED} have different roots (a fork): ${WHERE} and another`,
      )
    }
    // alone, every signature in it holds
    expect((await verifyLedger(bundles.rewritten)).ok).toBe(true)
  })

  it('fails a rewritten ledger with no checkpoint of that size at the range holding the change', async () => {
    const dir = join(work.path, 'rewritten-unsigned')
    const ledger = await openTestLedger(dir, identity)
    for (let i = 0; i < 20; i++) {
      const event = sampleEvent(i)
      await ledger.append(i === 6 ? { ...event, caseId: 'rewritten' } : event)
    }
    await ledger.checkpoint()
    await ledger.close()
    const report = await verifyLedger(dir, { threads: 0, checkpoints: [{ note: witnessed, where: WHERE }] })
    expect(report.ok).toBe(false)
    expect(report.problem).toMatchObject({ seq: 0 })
    expect(report.problem?.reason).toMatch(`do not hash to the root signed at size ${WITNESSED}`)
  })

  it('refuses a checkpoint not signed by the ledger key', async () => {
    const other = await openTestLedger(join(work.path, 'other'), NodeIdentity.generate())
    for (let i = 0; i < WITNESSED; i++) await other.append(sampleEvent(i))
    const foreign = (await other.checkpoint()).note
    await other.close()
    const report = await verifyLedger(bundles.original, { checkpoints: [{ note: foreign, where: WHERE }] })
    expect(report.ok).toBe(false)
    expect(report.problem?.reason).toMatch(new RegExp(`^${WHERE.replace(/[()]/g, '\\$&')}: `))
  })
})
