import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidRequestError } from '@pocnet/cases'
import { NodeIdentity } from '@pocnet/crypto'
import { Ledger } from '@pocnet/ledger'
import { preservationForm } from '@pocnet/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EventFeed } from '../../src/feed.ts'
import {
  DraftNotFoundError,
  IntakeCaseNotFoundError,
  IntakeDesk,
  type OpenCase,
} from '../../src/intake/desk.ts'
import { IllegalIntakeMoveError } from '../../src/intake/draft.ts'
import { INTAKE_ENTRY_KIND } from '../../src/intake/record.ts'
import { createLogger, type Logger } from '../../src/log.ts'

const ivan = { name: 'ivan', role: 'investigator' } as const
const irma = { name: 'irma', role: 'investigator' } as const
const rita = { name: 'rita', role: 'contact' } as const

/** A logger whose lines the test reads instead of printing them. */
function capturedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = []
  return { log: createLogger({ level: 'debug', write: (line: string) => lines.push(line) }), lines }
}

describe('the intake desk', () => {
  let dir: string
  let identity: NodeIdentity
  let ledger: Ledger
  let opened: Array<{ to: string; actor: string; key: string }>
  let feed: EventFeed
  const openCase: OpenCase = async (to, _form, actor, key) => {
    opened.push({ to, actor, key })
    return {
      caseId: `IT-20261206-${String(opened.length).padStart(8, '0')}`,
      messageId: `m${opened.length}`,
      repeated: false,
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pocnet-intake-'))
    identity = NodeIdentity.generate()
    ledger = await Ledger.open({ dir, identity, origin: 'pocnet.invalid/test/IT' })
    opened = []
    feed = new EventFeed({ log: capturedLog().log })
  })

  afterEach(async () => {
    await ledger.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  async function desk(log = capturedLog().log): Promise<IntakeDesk> {
    const d = new IntakeDesk({ ledger, openCase, feed, log })
    await d.start()
    return d
  }

  it('takes a draft through review, records every change without its contents, and rebuilds it at start', async () => {
    const d = await desk()
    const form = preservationForm()
    const draft = await d.create(ivan, 'FR', form)
    expect(draft).toMatchObject({ owner: 'ivan', to: 'FR', status: 'draft', revision: 1 })
    await d.submit(ivan, draft.id)
    await d.returnToAuthor(rita, draft.id, 'Add the port of the address')
    await d.revise(ivan, draft.id, undefined, { ...form, facts: 'Revised facts with the port.' })
    await d.submit(ivan, draft.id)
    const { draft: approved, messageId } = await d.approve(rita, draft.id)
    expect(approved).toMatchObject({ status: 'approved', caseId: 'IT-20261206-00000001', revision: 2 })
    expect(messageId).toBe('m1')
    expect(opened).toEqual([{ to: 'FR', actor: 'user:rita', key: `intake:${draft.id}` }])

    // each submission rings the contact points' feed: who and where, never the form
    const rung = await feed.after(0, 0)
    expect(rung.map((e) => [e.type, e.summary])).toEqual([
      ['draft-submitted', `draft ${draft.id} by ivan for FR awaits review (revision 1)`],
      ['draft-submitted', `draft ${draft.id} by ivan for FR awaits review (revision 2)`],
    ])
    const entries = await ledger.query({ kind: INTAKE_ENTRY_KIND })
    expect(entries.map((e) => [e.actor, e.detail])).toEqual([
      ['user:ivan', { draftId: draft.id, event: 'drafted', from: null, to: 'draft' }],
      ['user:ivan', { draftId: draft.id, event: 'submitted', from: 'draft', to: 'submitted' }],
      ['user:rita', { draftId: draft.id, event: 'returned', from: 'submitted', to: 'returned' }],
      ['user:ivan', { draftId: draft.id, event: 'revised', from: 'returned', to: 'draft' }],
      ['user:ivan', { draftId: draft.id, event: 'submitted', from: 'draft', to: 'submitted' }],
      ['user:rita', { draftId: draft.id, event: 'approved', from: 'submitted', to: 'approved' }],
    ])
    expect(entries.at(-1)?.caseId).toBe('IT-20261206-00000001')
    // the entries name no contents: the form and the comments are in the sealed blobs only
    for (const e of entries) {
      const bytes = Buffer.from(await ledger.getBytes(e.seq)).toString('latin1')
      expect(bytes).not.toContain('Add the port')
      expect(bytes).not.toContain('ransomware')
      expect(e.blobs).toHaveLength(1)
    }

    await ledger.close()
    ledger = await Ledger.open({ dir, identity, origin: 'pocnet.invalid/test/IT' })
    const again = await desk()
    expect(again.get(ivan, draft.id)).toEqual(approved)
  })

  it('shows an investigator only their own drafts and the cases those became', async () => {
    const d = await desk()
    const mine = await d.create(ivan, 'FR', preservationForm())
    const theirs = await d.create(irma, 'DE', preservationForm())
    await d.submit(irma, theirs.id)
    const { draft } = await d.approve(rita, theirs.id)
    expect(d.list(ivan).map((x) => x.id)).toEqual([mine.id])
    expect(
      d
        .list(rita)
        .map((x) => x.id)
        .sort(),
    ).toEqual([mine.id, theirs.id].sort())
    expect(() => d.get(ivan, theirs.id)).toThrow(DraftNotFoundError)
    expect(() => d.get(ivan, theirs.id)).toThrow(`no draft ${theirs.id} of yours on this node`)
    expect(() => d.get(ivan, 'D-nope')).toThrow(`no draft D-nope of yours on this node`)
    await expect(d.submit(ivan, theirs.id)).rejects.toThrow(DraftNotFoundError)
    expect(d.requireOwnCase(irma, draft.caseId!).id).toBe(theirs.id)
    expect(() => d.requireOwnCase(ivan, draft.caseId!)).toThrow(IntakeCaseNotFoundError)
  })

  it('refuses a form with problems, a move the status does not allow, and keeps a failed send submitted', async () => {
    const d = await desk()
    await expect(d.create(ivan, 'FR', { schema: 'pocnet/preservation/v1' })).rejects.toThrow(
      InvalidRequestError,
    )
    expect(d.list(rita)).toEqual([])
    const draft = await d.create(ivan, 'FR', preservationForm())
    await expect(d.approve(rita, draft.id)).rejects.toThrow(IllegalIntakeMoveError)
    expect(opened).toEqual([])
    await d.submit(ivan, draft.id)
    const failing = new IntakeDesk({
      ledger,
      openCase: async () => {
        throw new Error('FR unreachable')
      },
      log: capturedLog().log,
    })
    await failing.start()
    await expect(failing.approve(rita, draft.id)).rejects.toThrow('FR unreachable')
    expect(failing.get(rita, draft.id).status).toBe('submitted')
    const refused = await failing.refuse(rita, draft.id, 'Not a cybercrime matter')
    expect(refused.steps.at(-1)).toMatchObject({
      action: 'refused',
      by: 'rita',
      note: 'Not a cybercrime matter',
    })
    await expect(failing.submit(ivan, draft.id)).rejects.toThrow(
      `draft ${draft.id} is refused: it cannot be submitted`,
    )
  })
  it('rebuilds a draft whose stored change does not decode as damaged, with the status its entry records', async () => {
    const first = await desk()
    const kept = await first.create(ivan, 'FR', preservationForm())
    await ledger.append(
      {
        kind: INTAKE_ENTRY_KIND,
        actor: 'user:ivan',
        counterpart: 'FR',
        detail: { draftId: kept.id, event: 'submitted', from: 'draft', to: 'submitted' },
      },
      { blobs: [new Uint8Array([0xff, 0x00, 0x01])] },
    )
    const { log, lines } = capturedLog()
    const rebuilt = await desk(log)
    expect(rebuilt.get(rita, kept.id)).toMatchObject({
      status: 'submitted',
      owner: 'ivan',
      to: 'FR',
      revision: 1,
      damaged: true,
      request: kept.request,
    })
    expect(rebuilt.get(rita, kept.id).steps.map((s) => s.action)).toEqual(['drafted', 'submitted'])
    expect(lines.join('')).toMatch(/intake\.unreadable-change.*does not decode/)
    // the log names the draft and the problem, never the form
    expect(lines.join('')).not.toMatch(/ransomware/)
  })
})
