import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { killNode, spawnNode, submitMessage } from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_DIR } from '../src/constants.ts'
import type { PocnetDaemon } from '../src/index.ts'
import { snapshotKey, writeSnapshot } from '../src/snapshot/file.ts'
import { emptyStartIndex } from '../src/snapshot/start-index.ts'
import {
  preservationRequest,
  startCollectingWarnings,
  startPublishedPair,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

/*
 * The start index (snapshot/): a stop saves it bound to the ledger's size and root, a start reads
 * only the entries appended since; a snapshot that is damaged, another key's, or of a history the
 * ledger does not hold is dropped for a fold of the whole ledger, which gives the same views.
 */
describe('start snapshot', () => {
  let fed: TestFederation
  let it_: PocnetDaemon
  let fr: PocnetDaemon
  const node = () => fed.nodes[0]!
  const snapshotPath = () => join(node().dataDir, DATA_DIR.startSnapshot)

  beforeAll(async () => {
    ;({ fed, a: it_, b: fr } = await startPublishedPair(['IT', 'FR']))
    // history: a case opened and answered, plain messages delivered
    const { caseId } = await it_.cases.openRequest('FR', preservationRequest(), 'user:anna')
    await until(() => fr.cases.list().length === 1, 'FR to hold the case')
    await fr.cases.addEvent(caseId, { kind: 'acknowledged', by: 'Pierre Martin' }, 'user:pierre')
    for (let i = 0; i < 5; i++)
      await it_.outbox.submit({
        to: 'FR',
        caseId: '',
        kind: 'note',
        payload: randomBytes(64),
        actor: 'user:anna',
      })
    await until(() => it_.outbox.depth === 0, 'IT to have its receipts')
    await until(() => it_.cases.list()[0]?.status === 'acknowledged', 'IT to see the acknowledgement')
  }, 120_000)

  afterAll(async () => {
    await it_?.stop()
    await fed?.cleanup()
  })

  /** What a start derives from the history: the cases as listed, and the messages still queued. */
  const views = (d: PocnetDaemon) => ({
    cases: d.cases.list().map((c) => ({ ...c, deadlines: undefined })),
    outbox: d.outbox.list().map((m) => ({ messageId: m.messageId, to: m.to, queuedAt: m.queuedAt })),
  })

  /** Stops IT, starts it again in this process collecting its warnings. */
  async function restartIt(warnings: Array<{ event: string }> = []): Promise<PocnetDaemon> {
    await it_.stop()
    it_ = await startCollectingWarnings(fed, 0, warnings)
    return it_
  }

  it('a start after a stop reads no entry: the snapshot covers the whole ledger', async () => {
    const before = views(it_)
    await restartIt()
    expect(it_.snapshotLoad).toEqual({ source: 'snapshot', from: it_.ledger.size, entriesRead: 0 })
    expect(views(it_)).toEqual(before)
  })

  it('a damaged snapshot, another key’s, or one of another history is dropped for a rebuild with the same views', async () => {
    const before = views(it_)
    await it_.stop()
    const saved = await readFile(snapshotPath(), 'utf8')
    const stale = {
      // a byte of the body changed: the MAC no longer matches
      damaged: async () => writeFile(snapshotPath(), saved.replace('"size":', '"size": ')),
      // a well-formed snapshot under another node's key
      foreign: async () =>
        writeSnapshot(snapshotPath(), snapshotKey(randomBytes(32)), {
          size: 0,
          root: new Uint8Array(32),
          index: emptyStartIndex(),
        }),
      // this node's key, but a root the ledger never had at that size
      otherRoot: async () =>
        writeSnapshot(snapshotPath(), snapshotKey(node().identity.secrets.signingSeed), {
          size: 3,
          root: randomBytes(32),
          index: emptyStartIndex(),
        }),
      // longer than the ledger: a ledger restored from an older backup
      longer: async () =>
        writeSnapshot(snapshotPath(), snapshotKey(node().identity.secrets.signingSeed), {
          size: 1_000_000,
          root: randomBytes(32),
          index: emptyStartIndex(),
        }),
    }
    for (const [name, spoil] of Object.entries(stale)) {
      await spoil()
      const warnings: Array<{ event: string }> = []
      it_ = await startCollectingWarnings(fed, 0, warnings)
      expect({ name, load: it_.snapshotLoad }).toEqual({
        name,
        load: { source: 'rebuild', from: 0, entriesRead: it_.ledger.size },
      })
      expect(warnings.map((w) => w.event)).toEqual([
        name === 'damaged' || name === 'foreign' ? 'snapshot.unusable' : 'snapshot.mismatch',
      ])
      expect(views(it_)).toEqual(before)
      await it_.stop()
    }
    // and no snapshot at all
    await rm(snapshotPath())
    it_ = await startCollectingWarnings(fed, 0, [])
    expect(it_.snapshotLoad?.source).toBe('rebuild')
    expect(views(it_)).toEqual(before)
  })

  it('a kill -9 after appends the snapshot does not cover: the next start reads those, with the views of a full rebuild', async () => {
    await it_.stop()
    await spawnNode(node())
    const queued: string[] = []
    for (let i = 0; i < 5; i++)
      queued.push((await submitMessage(node(), { to: 'FR', caseId: `kill-${i}` })).messageId)
    await killNode(node())
    // FR stopped: nothing IT still holds is delivered while its views are compared
    await fr.stop()
    it_ = await startCollectingWarnings(fed, 0, [])
    const load = it_.snapshotLoad!
    expect(load.source).toBe('snapshot')
    expect(load.entriesRead).toBeGreaterThanOrEqual(queued.length)
    expect(load.from + load.entriesRead).toBe(it_.ledger.size)
    const afterKill = views(it_)
    const receipted = new Set((await it_.ledger.query({ kind: 'receipt' })).map((e) => e.messageId))
    for (const id of queued)
      expect(receipted.has(id) || afterKill.outbox.some((m) => m.messageId === id)).toBe(true)
    await it_.stop()
    await rm(snapshotPath())
    it_ = await startCollectingWarnings(fed, 0, [])
    expect(it_.snapshotLoad?.source).toBe('rebuild')
    expect(views(it_)).toEqual(afterKill)
  })

  it('an entry appended after the snapshot is read at the next start, and only it', async () => {
    await it_.stop()
    const size = JSON.parse((await readFile(snapshotPath(), 'utf8')).split('\n')[0]!).size as number
    expect(size).toBe(await sizeOfStoppedLedger())
    // what a crashed run left in the ledger: a message queued to FR (stopped) and never receipted
    const messageId = randomBytes(32).toString('hex')
    await withItLedger((ledger) =>
      ledger.append(
        {
          kind: 'message-sent',
          actor: 'user:anna',
          counterpart: 'FR',
          messageId,
          detail: { messageKind: 'note' },
        },
        { blobs: [randomBytes(300), randomBytes(40)] },
      ),
    )
    it_ = await startCollectingWarnings(fed, 0, [])
    expect(it_.snapshotLoad).toEqual({ source: 'snapshot', from: size, entriesRead: 1 })
    const afterTail = views(it_)
    expect(afterTail.outbox.map((m) => m.messageId)).toContain(messageId)
    await it_.stop()
    await rm(snapshotPath())
    it_ = await startCollectingWarnings(fed, 0, [])
    expect(it_.snapshotLoad?.source).toBe('rebuild')
    expect(views(it_)).toEqual(afterTail)
  })

  async function withItLedger<T>(use: (ledger: Ledger) => Promise<T>): Promise<T> {
    const ledger = await Ledger.open({
      dir: join(node().dataDir, DATA_DIR.ledger),
      identity: node().identity,
      origin: checkpointOrigin(node().network, node().country),
    })
    try {
      return await use(ledger)
    } finally {
      await ledger.close()
    }
  }

  const sizeOfStoppedLedger = () => withItLedger(async (ledger) => ledger.size)
})
