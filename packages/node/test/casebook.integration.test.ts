import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { IllegalTransitionError, InvalidRequestError } from '@pocnet/cases'
import { encode } from '@pocnet/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserStore } from '../src/control/users.ts'
import { ControlApiError, createLogger, nodeRoutes, PocnetDaemon } from '../src/index.ts'
import {
  createTestFederation,
  deliveryStream,
  PASSPHRASE,
  preservationRequest,
  startPublishedPair,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

describe('cases over the network: a preservation request between two nodes', () => {
  let fed: TestFederation
  let a: PocnetDaemon
  let b: PocnetDaemon

  beforeAll(async () => {
    ;({ fed, a, b } = await startPublishedPair(['IT', 'FR']))
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
    // counted from now: the expiry must agree with the days granted, whatever day the test runs
    const expiresAt = new Date(Date.now() + 90 * 24 * 3600_000).toISOString()
    await b.cases.addEvent(
      caseId,
      { kind: 'preserved', providerReference: 'EXM-7781', grantedDays: 90, expiresAt },
      'user:jean',
    )
    await until(() => a.cases.detail(caseId).case.status === 'preserved', 'A to see "preserved"')
    const atA = a.cases.detail(caseId).case
    const atB = b.cases.detail(caseId).case
    expect(atA.preservation?.current).toMatchObject({
      grantedDays: 90,
      expiresAt,
    })
    expect(atA.status).toBe(atB.status)
    expect(atA.history.map((e) => e.id)).toEqual(atB.history.map((e) => e.id))
    // the case changes before its ledger entry is written: wait for the entry
    const transitions = () => a.ledger.query({ kind: 'case-state-changed', caseId })
    await until(async () => (await transitions()).length === 4, 'A to record "preserved"')
    expect((await transitions()).map((e) => e.detail?.to)).toEqual([
      'sent',
      'delivered',
      'acknowledged',
      'preserved',
    ])
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
    // The earlier tests do not wait for every request to arrive; a case landing between the
    // snapshot and the stop would make the comparison race.
    const sent = a.cases.list().map((c) => c.id)
    await until(() => sent.every((id) => b.cases.list().some((c) => c.id === id)), 'B to hold every case')
    await until(() => a.outbox.depth === 0, 'A to have delivered everything')
    // B marks each case "delivered" on its side just after receiving it, and sends that step on
    await until(
      () => b.cases.list().every((c) => c.status !== 'sent') && b.outbox.depth === 0,
      'B to have marked every case delivered and sent the step',
    )
    // the next alert depends on the time of asking, not on the rebuild: compared without it
    const state = () => b.cases.list().map(({ nextAlert: _atNow, ...rest }) => rest)
    const before = state()
    await b.stop()
    b = await fed.start(1)
    expect(state()).toEqual(before)
  })

  it('refuses a case step whose seq runs far ahead, so the case cannot be locked against this side', async () => {
    const { caseId } = await a.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => a.cases.detail(caseId).case.status === 'delivered', 'A to see "delivered"')
    const event = {
      id: 'f'.repeat(32),
      seq: Number.MAX_SAFE_INTEGER,
      at: new Date().toISOString(),
      side: 'requested',
      kind: 'acknowledged',
      by: 'Mallory',
    }
    const payload = encode({ v: 1, type: 'event', caseId, event })
    const item = await b.outbox.submit({ to: 'IT', caseId, kind: 'case-event', actor: 'user:t', payload })
    await until(() => b.outbox.depth === 0, 'IT to answer the step')
    // the step was answered "malformed", and the case goes on as normal
    const receipts = await b.ledger.query({ kind: 'receipt', caseId })
    expect(receipts.find((r) => r.messageId === item.messageId)?.detail).toEqual({
      status: 'rejected',
      reason: 'malformed',
    })
    expect(a.cases.detail(caseId).case.status).toBe('delivered')
    await b.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Jean Dupont' }, 'user:jean')
    await until(() => a.cases.detail(caseId).case.status === 'acknowledged', 'A to see the real step')
  })

  it('refuses a case step that reuses the id of a step the case holds, so it cannot knock that step out', async () => {
    const { caseId } = await a.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => a.cases.detail(caseId).case.status === 'delivered', 'A to see "delivered"')
    await b.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Jean Dupont' }, 'user:jean')
    await until(() => a.cases.detail(caseId).case.status === 'acknowledged', 'A to see the acknowledgement')
    await a.cases.addEvent(caseId, { kind: 'withdrawn', reason: 'suspect arrested' }, 'user:anna')
    await until(() => b.cases.detail(caseId).case.status === 'withdrawn', 'B to see the withdrawal')
    const withdrawal = a.cases.detail(caseId).case.history.at(-1)!
    // the same id, the same seq and an earlier time: replayed first, the withdrawal deduplicated away
    const event = {
      id: withdrawal.id,
      seq: withdrawal.seq,
      at: new Date(Date.parse(withdrawal.at) - 1000).toISOString(),
      side: 'requested',
      kind: 'in-progress',
    }
    const payload = encode({ v: 1, type: 'event', caseId, event })
    const item = await b.outbox.submit({ to: 'IT', caseId, kind: 'case-event', actor: 'user:t', payload })
    await until(() => b.outbox.depth === 0, 'IT to answer the step')
    const receipts = await b.ledger.query({ kind: 'receipt', caseId })
    expect(receipts.find((r) => r.messageId === item.messageId)?.detail).toEqual({
      status: 'rejected',
      reason: 'malformed',
    })
    expect(a.cases.detail(caseId).case.status).toBe('withdrawn')
    expect(a.cases.detail(caseId).case.history.map((e) => e.kind)).toEqual([
      'delivered',
      'acknowledged',
      'withdrawn',
    ])
  })

  it('POST /messages refuses the case kinds, naming the field: case traffic goes through /cases', async () => {
    const route = nodeRoutes(a, await UserStore.open(fed.nodes[0]!.dataDir)).find(
      (r) => r.method === 'POST' && r.path === '/messages',
    )!
    const before = a.ledger.size
    for (const kind of ['case-request', 'case-event']) {
      const err = await route
        .handler({
          user: { name: 'anna', role: 'contact', tokenHash: '', createdAt: 0 },
          params: {},
          query: new URLSearchParams(),
          body: { to: 'FR', caseId: 'IT-1', kind, payload: '' },
          signal: new AbortController().signal,
          note: () => {},
        })
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ControlApiError)
      expect(err).toMatchObject({ status: 400, code: 'ERR_FIELD', details: { field: 'kind' } })
      expect((err as Error).message).toBe(`kind: '${kind}' is reserved for case messages`)
    }
    expect(a.ledger.size).toBe(before)
  })

  it('POST /ledger/export writes neither into the data directory nor over a file', async () => {
    const route = nodeRoutes(a, await UserStore.open(fed.nodes[0]!.dataDir)).find(
      (r) => r.method === 'POST' && r.path === '/ledger/export',
    )!
    const call = (path: string) =>
      route
        .handler({
          user: { name: 'aud', role: 'auditor', tokenHash: '', createdAt: 0 },
          params: {},
          query: new URLSearchParams(),
          body: { path },
          signal: new AbortController().signal,
          note: () => {},
        })
        .catch((e: unknown) => e)
    const dataDir = fed.nodes[0]!.dataDir
    const keyBefore = await readFile(join(dataDir, 'node.key'))
    // an auditor's export used to be able to replace the node's key file
    for (const path of [join(dataDir, 'node.key'), join(dataDir, 'exports', 'a.bundle'), dataDir])
      expect(await call(path)).toMatchObject({
        status: 400,
        message: "path: must be outside the node's data directory",
      })
    expect(await readFile(join(dataDir, 'node.key'))).toEqual(keyBefore)
    const outside = join(fed.base, 'it.bundle')
    await writeFile(outside, 'an earlier file')
    expect(await call(outside)).toMatchObject({ status: 409, code: 'ERR_EXISTS' })
    expect(await readFile(outside, 'utf8')).toBe('an earlier file')
    const fresh = join(fed.base, 'it-fresh.bundle')
    expect(await call(fresh)).toMatchObject({ path: fresh, entries: expect.any(Number) })
  })

  it('passes over, and logs, a case entry it cannot replay, so the node still starts', async () => {
    // Before /messages refused the case kinds, a contact could send a case request no case can
    // open from; the ledger keeps it for ever, and replaying it used to stop every start.
    const payload = encode({
      v: 1,
      type: 'request',
      caseId: 'IT-unreplayable',
      openedAt: '2026-01-01T00:00:00Z',
      request: {},
    })
    await a.outbox.submit({
      to: 'FR',
      caseId: 'IT-unreplayable',
      kind: 'case-request',
      actor: 'user:t',
      payload,
    })
    await until(() => a.outbox.depth === 0, 'FR to answer the request')
    const before = a.cases.list()
    await a.stop()
    const lines: string[] = []
    const log = createLogger({ level: 'error', write: (line) => lines.push(line) })
    a = await PocnetDaemon.start({ dataDir: fed.nodes[0]!.dataDir, passphrase: PASSPHRASE, log })
    try {
      expect(a.cases.list()).toEqual(before)
      expect(lines.map((line) => JSON.parse(line))).toContainEqual(
        expect.objectContaining({ event: 'cases.unreplayable-entry', error: 'InvalidRequestError' }),
      )
      // the request's contents are never logged
      expect(lines.join('')).not.toContain('IT-unreplayable')
    } finally {
      await a.stop()
    }
  })
})

describe('cases over the network: legal clocks and the Art. 30 follow-up', () => {
  let fed: TestFederation
  let it_: PocnetDaemon
  let fr: PocnetDaemon
  let us: PocnetDaemon
  let offsetMs = 0
  const clock = () => Date.now() + offsetMs

  beforeAll(async () => {
    fed = await createTestFederation(['IT', 'FR', 'US'])
    it_ = await fed.start(0, clock)
    fr = await fed.start(1, clock)
    us = await fed.start(2, clock)
    await until(
      () => it_.health().peersConnected >= 2 && fr.health().peersConnected >= 2,
      'the three nodes to connect',
    )
    await Promise.all([it_.publishOwnRecord(), fr.publishOwnRecord(), us.publishOwnRecord()])
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('raises the MLA warning and the expiry reminders on both sides as the clock moves', async () => {
    const { caseId } = await it_.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => fr.cases.list().some((c) => c.id === caseId), 'FR to hold the case')
    await until(() => it_.cases.detail(caseId).case.status === 'delivered', 'IT to see "delivered"')
    await fr.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Jean Dupont' }, 'user:jean')
    const expiresAt = new Date(Date.now() + 90 * 24 * 3600_000).toISOString()
    await fr.cases.addEvent(
      caseId,
      { kind: 'preserved', providerReference: 'EXM-1', grantedDays: 90, expiresAt },
      'user:jean',
    )
    await until(() => it_.cases.detail(caseId).case.status === 'preserved', 'IT to see "preserved"')
    expect(it_.cases.list().find((c) => c.id === caseId)?.preservationExpiresAt).toBe(
      fr.cases.list().find((c) => c.id === caseId)?.preservationExpiresAt,
    )

    const alertsOf = async (d: PocnetDaemon, since: number) =>
      (await d.feed.after(since, 0)).filter((e) => e.caseId === caseId).map((e) => String(e.detail?.alert))
    const [itCursor, frCursor] = [it_.feed.cursor, fr.feed.cursor]
    offsetMs = 70 * 24 * 3600_000 // 20 days before expiry: inside the 21-day MLA warning
    await Promise.all([it_.cases.checkClocks(), fr.cases.checkClocks()])
    expect(await alertsOf(it_, itCursor)).toContain('mla-not-submitted')
    expect(await alertsOf(fr, frCursor)).toContain('mla-not-submitted')
    expect(await alertsOf(it_, itCursor)).not.toContain('preservation-expiring')

    offsetMs = 77 * 24 * 3600_000 // 13 days before expiry: the 14-day reminder is due
    await Promise.all([it_.cases.checkClocks(), fr.cases.checkClocks()])
    expect(await alertsOf(it_, itCursor)).toContain('preservation-expiring')
    expect(await alertsOf(fr, frCursor)).toContain('preservation-expiring')

    // raised once: checking again adds nothing, and the ledger has one record per alert key
    const again = await it_.cases.checkClocks()
    expect(again.filter((a) => a.caseId === caseId)).toEqual([])
    offsetMs = 0
  })

  it('follows an Art. 30 disclosure with a linked preservation request to the third country', async () => {
    const { caseId } = await it_.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => it_.cases.detail(caseId).case.status === 'delivered', 'IT to see "delivered"')
    await fr.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Jean Dupont' }, 'user:jean')
    await fr.cases.addEvent(
      caseId,
      {
        kind: 'partially-disclosed',
        thirdCountry: 'US',
        thirdCountryProvider: 'Example Hosting Inc.',
        trafficData: 'The connection came through a VPS of Example Hosting Inc.',
        identifiers: [{ type: 'ip', address: '198.51.100.23', port: 443, timestamp: '2026-11-27T22:40:00Z' }],
      },
      'user:jean',
    )
    await until(
      () => it_.cases.detail(caseId).case.status === 'partially-disclosed',
      'IT to see the disclosure',
    )
    const followUp = it_.cases.followUp(caseId)
    expect(followUp.requested).toBe('US')
    const linked = await it_.cases.openRequest(followUp.requested, followUp.request, 'user:anna')
    await until(() => us.cases.list().some((c) => c.id === linked.caseId), 'US to hold the linked case')
    const atUs = us.cases.detail(linked.caseId).case
    expect(atUs.requester).toBe('IT')
    expect(atUs.links).toEqual(expect.arrayContaining([expect.objectContaining({ caseId })]))
  })
})

describe('cases over the network: a step that overtakes its request', () => {
  it('is answered "try-later" and accepted once the request is in', async () => {
    const { fed, a, b } = await startPublishedPair(['HU', 'AT'])
    try {
      // HU's outbox is paused, so this test decides the order in which AT sees the two messages
      await a.outbox.stop()
      const { caseId } = await a.cases.openRequest('AT', preservationRequest(), 'user:anna')
      const request = a.outbox.list().find((i) => i.caseId === caseId)!
      await a.cases.addEvent(
        caseId,
        { kind: 'withdrawn', reason: 'suspect identified otherwise' },
        'user:anna',
      )
      const withdrawal = a.outbox
        .list()
        .find((i) => i.caseId === caseId && i.messageId !== request.messageId)!
      // the withdrawal reaches AT first
      const delivery = await deliveryStream(a, b)
      const first = await delivery.exchange(withdrawal.envelope)
      expect(first.ok && first.receipt.status === 'rejected' && first.receipt.reason).toBe('try-later')
      // then the request, then the withdrawal again (as the outbox's retry would)
      for (const item of [request, withdrawal]) {
        const r = await delivery.exchange(item.envelope)
        expect(r.ok && r.receipt.status).toBe('accepted')
      }
      await delivery.close()
      await until(() => b.cases.detail(caseId).case.status === 'withdrawn', 'AT to apply the withdrawal')
    } finally {
      await fed.cleanup()
    }
  })
})

describe('cases over the network: a step that never reaches the counterpart', () => {
  let fed: TestFederation
  let a: PocnetDaemon
  let b: PocnetDaemon

  beforeAll(async () => {
    // the outbox gives up after 3 s, so a step sent while the counterpart is down is given up
    ;({ fed, a, b } = await startPublishedPair(['IT', 'FR'], (config) => {
      config.outbox = { initialBackoffMs: 100, maxBackoffMs: 500, expiryMs: 3_000 }
    }))
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  it("is taken back out of the sender's case, live and after a restart, so both sides agree", async () => {
    const { caseId } = await a.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => a.cases.detail(caseId).case.status === 'delivered', 'A to see "delivered"')
    await b.stop()
    const cursor = a.feed.cursor
    const { status } = await a.cases.addEvent(caseId, { kind: 'withdrawn', reason: 'solved' }, 'user:anna')
    expect(status).toBe('withdrawn')
    await until(
      () => a.cases.detail(caseId).case.status === 'delivered',
      'A to take the withdrawal back',
      15_000,
    )
    // the case changes before the ledger entry and the feed message: wait for the message
    const taken = 'your withdrawn never reached FR (expired): taken back, case now delivered'
    const shown = async () =>
      (await a.feed.after(cursor, 0)).filter((e) => e.caseId === caseId).map((e) => e.summary)
    await until(async () => (await shown()).includes(taken), 'A to say the withdrawal was taken back')
    const states = await a.ledger.query({ kind: 'case-state-changed', caseId })
    expect(states.at(-1)?.detail).toEqual({
      from: 'withdrawn',
      to: 'delivered',
      event: 'withdrawn undelivered',
    })

    // rebuilt from the ledger: the step stays out
    await a.stop()
    a = await fed.start(0)
    expect(a.cases.detail(caseId).case.status).toBe('delivered')
    b = await fed.start(1)
    expect(b.cases.detail(caseId).case.status).toBe('delivered')
    // and the case goes on from there on both sides
    await b.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Jean Dupont' }, 'user:jean')
    await until(() => a.cases.detail(caseId).case.status === 'acknowledged', 'A to see the acknowledgement')
  })
})
