import { IllegalTransitionError, InvalidRequestError } from '@pocnet/cases'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PocnetDaemon } from '../src/index.ts'
import { createTestFederation, preservationRequest, type TestFederation, until } from './fixtures.ts'

describe('cases over the network: a preservation request between two nodes', () => {
  let fed: TestFederation
  let a: PocnetDaemon
  let b: PocnetDaemon

  beforeAll(async () => {
    fed = await createTestFederation(['IT', 'FR'])
    a = await fed.start(0)
    b = await fed.start(1)
    await until(() => a.health().peersConnected > 0, 'IT to connect to FR')
    await a.publishOwnRecord()
    await b.publishOwnRecord()
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('refuses a form with problems, listing every one, and sends nothing', async () => {
    const form = preservationRequest()
    delete form.necessity
    form.facts = ''
    ;(form.data as { identifiers: Array<Record<string, unknown>> }).identifiers[0]!.timestamp =
      '2026-11-27 22:41'
    const before = a.ledger.size
    const err = await a.cases.openRequest('FR', form, 'user:t').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidRequestError)
    const paths = (err as InvalidRequestError).problems.map((p) => p.path)
    expect(paths).toEqual(expect.arrayContaining(['necessity', 'facts', 'data.identifiers[0].timestamp']))
    expect(a.ledger.size).toBe(before)
  })

  it('runs the case from sending to preserved on both sides, with the same state at each end', async () => {
    const cursorB = b.feed.cursor
    const { caseId } = await a.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => b.cases.list().some((c) => c.id === caseId), 'B to hold the case')
    expect((await b.feed.after(cursorB, 0)).map((e) => e.type)).toContain('new-request')
    await until(() => a.cases.detail(caseId).case.status === 'delivered', 'A to see "delivered"')

    await b.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Jean Dupont' }, 'user:jean')
    await b.cases.addEvent(
      caseId,
      {
        kind: 'preserved',
        providerReference: 'EXM-7781',
        grantedDays: 90,
        expiresAt: '2027-02-26T14:00:00Z',
      },
      'user:jean',
    )
    await until(() => a.cases.detail(caseId).case.status === 'preserved', 'A to see "preserved"')
    const atA = a.cases.detail(caseId).case
    const atB = b.cases.detail(caseId).case
    expect(atA.preservation?.current).toMatchObject({
      grantedDays: 90,
      expiresAt: '2027-02-26T14:00:00.000Z',
    })
    expect(atA.status).toBe(atB.status)
    expect(atA.history.map((e) => e.id)).toEqual(atB.history.map((e) => e.id))
    const transitions = await a.ledger.query({ kind: 'case-state-changed', caseId })
    expect(transitions.map((e) => e.detail?.to)).toEqual(['sent', 'delivered', 'acknowledged', 'preserved'])
  })

  it('rejects an illegal step on the side that tries it, before sending anything', async () => {
    const { caseId } = await a.cases.openRequest('FR', preservationRequest(), 'user:anna')
    const before = a.outbox.depth + a.ledger.size
    const err = await a.cases
      .addEvent(caseId, { kind: 'acknowledged', by: 'Me' }, 'user:anna')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IllegalTransitionError)
    expect(a.outbox.depth + a.ledger.size).toBe(before)
  })

  it('rebuilds every case from the ledger after a restart', async () => {
    const before = b.cases.list()
    await b.stop()
    b = await fed.start(1)
    expect(b.cases.list()).toEqual(before)
  })
})
