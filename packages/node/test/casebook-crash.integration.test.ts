import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FeedEvent } from '../src/feed.ts'
import type { PocnetDaemon } from '../src/index.ts'
import { preservationRequest, startPublishedPair, type TestFederation, until } from './fixtures/federation.ts'

/*
 * A kill -9 between the receiver's durable `message-received` entry (envelope, receipt and payload
 * blobs; the sender holds the receipt, so it never sends again) and the case book's handling of
 * the message. The receiver's own path stores the message; the case book is kept from acting on it
 * (what the crash cuts off), and the node is stopped: its ledger is then what the crash leaves.
 */
describe('cases: a message stored just before a crash, before the case book handled it', () => {
  let fed: TestFederation
  let it_: PocnetDaemon
  let fr: PocnetDaemon
  // FR's notification hook appends each event it is given (one JSON line) to this file
  const hookFile = join(tmpdir(), `pocnet-hook-${randomBytes(6).toString('hex')}.jsonl`)

  beforeAll(async () => {
    ;({
      fed,
      a: it_,
      b: fr,
    } = await startPublishedPair(['IT', 'FR'], (config, i) => {
      if (i === 1) config.notifyCommand = `cat >> '${hookFile}'`
    }))
  }, 60_000)

  afterAll(async () => {
    await fed?.cleanup()
    await rm(hookFile, { force: true })
  })

  /** Stores the next case message FR receives without the case book acting on it, then stops FR. */
  async function crashOnNext(send: () => Promise<unknown>, beforeCrash?: () => Promise<void>): Promise<void> {
    fr.cases.receive = async () => {}
    await send()
    await until(() => it_.outbox.depth === 0, 'FR to store the message and answer its receipt')
    await beforeCrash?.()
    await fr.stop()
  }

  const hookLines = async (): Promise<FeedEvent[]> =>
    (await readFile(hookFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as FeedEvent)
  const feedOf = async (node: PocnetDaemon, caseId: string) =>
    (await node.feed.after(0, 0)).filter((e) => e.caseId === caseId)
  /**
   * A request naming an address no other case of this file names: one the first test's (still
   * open) case names would add a repeated-identifier warning to the case's feed.
   */
  const requestOfItsOwn = (address: string) => {
    const form = preservationRequest()
    const identifiers = [{ type: 'ip', address, timestamp: '2026-11-27T22:41:09Z' }]
    return { ...form, data: { ...(form.data as object), identifiers } }
  }
  const states = (node: PocnetDaemon, caseId: string) =>
    node.ledger.query({ kind: 'case-state-changed', caseId })

  it('a request: opened, recorded and paged at the next start, and only once across restarts', async () => {
    let caseId = ''
    await crashOnNext(async () => {
      caseId = (await it_.cases.openRequest('FR', preservationRequest(), 'user:anna')).caseId
    })

    fr = await fed.start(1)
    // the inbox shows it, the hook pages it, the ledger records its opening, "delivered" goes out
    expect((await feedOf(fr, caseId)).map((e) => e.type)).toContain('new-request')
    await until(async () => (await hookLines()).some((e) => e.caseId === caseId), 'the hook to run')
    const opened = async () =>
      (await states(fr, caseId)).filter((e) => e.detail?.event === 'opened').map((e) => e.detail)
    expect(await opened()).toEqual([
      { from: null, to: 'sent', event: 'opened', messageId: expect.any(String) },
    ])
    await until(() => it_.cases.detail(caseId).case.status === 'delivered', 'IT to learn of the delivery')

    await fr.stop()
    fr = await fed.start(1)
    expect((await feedOf(fr, caseId)).map((e) => e.type)).not.toContain('new-request')
    expect(await opened()).toHaveLength(1)
    // a hook run the restart started would have written by now
    await new Promise((r) => setTimeout(r, 500))
    expect((await hookLines()).filter((e) => e.caseId === caseId && e.type === 'new-request')).toHaveLength(1)
    expect(fr.cases.detail(caseId).case.status).toBe('delivered')
  }, 60_000)

  it('a step: recorded and shown at the next start, and only once across restarts', async () => {
    const { caseId } = await it_.cases.openRequest('FR', requestOfItsOwn('198.51.100.23'), 'user:anna')
    await until(() => it_.cases.detail(caseId).case.status === 'delivered', 'FR to answer "delivered"')
    let messageId = ''
    await crashOnNext(async () => {
      messageId = (
        await it_.cases.addEvent(
          caseId,
          { kind: 'withdrawn', reason: 'the suspect was identified otherwise' },
          'user:anna',
        )
      ).messageId
    })

    const shown = 'IT: withdrawn (case now withdrawn)'
    fr = await fed.start(1)
    expect(fr.cases.detail(caseId).case.status).toBe('withdrawn')
    expect((await feedOf(fr, caseId)).map((e) => e.summary)).toContain(shown)
    const recorded = async () => (await states(fr, caseId)).filter((e) => e.detail?.event === 'withdrawn')
    expect((await recorded()).map((e) => e.detail)).toEqual([
      { from: 'delivered', to: 'withdrawn', event: 'withdrawn', messageId },
    ])
    await until(async () => (await hookLines()).some((e) => e.summary === shown), 'the hook to run')

    await fr.stop()
    fr = await fed.start(1)
    expect((await feedOf(fr, caseId)).map((e) => e.summary)).not.toContain(shown)
    expect(await recorded()).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 500))
    expect((await hookLines()).filter((e) => e.caseId === caseId && e.type === 'case-message')).toHaveLength(
      1,
    )
  }, 60_000)

  // An earlier release recorded a received step without naming its message: such an entry still
  // counts as the step's record, so an upgrade neither records nor pages old steps again.
  it('a step an earlier release recorded (its entry names no message) is not recorded or shown again', async () => {
    const { caseId } = await it_.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => it_.cases.detail(caseId).case.status === 'delivered', 'FR to answer "delivered"')
    await crashOnNext(
      () =>
        it_.cases.addEvent(
          caseId,
          { kind: 'withdrawn', reason: 'the suspect was identified otherwise' },
          'user:anna',
        ),
      // what the earlier release's case book wrote for it
      async () => {
        await fr.ledger.append({
          kind: 'case-state-changed',
          actor: 'country:IT',
          caseId,
          counterpart: 'IT',
          detail: { from: 'delivered', to: 'withdrawn', event: 'withdrawn' },
        })
      },
    )
    const hooked = (await hookLines()).length
    fr = await fed.start(1)
    expect(fr.cases.detail(caseId).case.status).toBe('withdrawn')
    expect(await feedOf(fr, caseId)).toEqual([])
    expect(await states(fr, caseId)).toHaveLength(3) // opened, delivered, withdrawn
    await new Promise((r) => setTimeout(r, 500))
    expect(await hookLines()).toHaveLength(hooked)
  }, 60_000)
})
