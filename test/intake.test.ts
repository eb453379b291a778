import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ledgerRoutes } from '@pocnet/node/control-client'
import {
  createFederation,
  type Federation,
  federationLogs,
  preservationForm,
  runCli,
  spawnNode,
  waitFor,
  waitUntilReachable,
} from '@pocnet/test-utils'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'

// Issue 18 acceptance (domestic intake), with real daemons and the real CLI: an investigator's
// draft goes through review to the counterpart and back, and that investigator cannot read
// another case.

/** A preservation request to FR; `facts` tells versions apart. */
function form(facts: string): Record<string, unknown> {
  return { ...preservationForm(), facts }
}

describe('domestic intake through real daemons and the CLI', () => {
  let fed: Federation
  const tokens: Record<string, string> = {}

  beforeAll(async () => {
    fed = await createFederation({ countries: ['IT', 'FR'] })
    const [it, fr] = [fed.node('IT'), fed.node('FR')]
    await Promise.all([spawnNode(it), spawnNode(fr)])
    await waitUntilReachable(it, fr)
    for (const [name, role] of [
      ['ivan', 'investigator'],
      ['irma', 'investigator'],
      ['rita', 'contact'],
    ] as const) {
      const r = await runCli(it, ['user', 'add', name, '--role', role, '--json'])
      expect(r.code, r.stderr).toBe(0)
      tokens[name] = (JSON.parse(r.stdout) as { token: string }).token
    }
  }, 120_000)

  afterAll(async () => {
    await fed?.cleanup()
  })

  it('drafted, returned with comments, revised, approved, answered by FR, and followed by its author only', async () => {
    onTestFailed(async () => {
      console.error(await federationLogs(fed.nodes))
    })
    const it = fed.node('IT')
    const fr = fed.node('FR')
    const as = (name: string, args: string[]) => runCli(it, args, tokens[name])
    const json = async <T>(name: string, args: string[]): Promise<T> => {
      const r = await as(name, args)
      expect(r.code, `${name}: pocnet ${args.join(' ')}\n${r.stderr}`).toBe(0)
      return JSON.parse(r.stdout) as T
    }
    const first = join(fed.baseDir, 'first.yaml')
    const second = join(fed.baseDir, 'second.yaml')
    const bad = join(fed.baseDir, 'bad.yaml')
    await writeFile(first, JSON.stringify(form('Payments were diverted on 2 December.')))
    await writeFile(second, JSON.stringify(form('Payments were diverted on 2 December from the town hall.')))
    await writeFile(bad, JSON.stringify({ ...form('x'), custodian: undefined, urgency: 'whenever' }))

    // a form with problems is refused as `request send` refuses it, and nothing is saved
    const refused = await as('ivan', [
      'intake',
      'draft',
      '--to',
      'FR',
      '--type',
      'preservation',
      '--file',
      bad,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/bad\.yaml: 2 problems; nothing was sent/)
    expect(refused.stderr).toMatch(/custodian: /)
    expect(refused.stderr).toMatch(/urgency: /)

    type Draft = {
      id: string
      status: string
      revision: number
      caseId: string | null
      steps: Array<{ action: string; by: string; note?: string }>
    }
    const draft = await json<Draft>('ivan', [
      'intake',
      'draft',
      '--to',
      'FR',
      '--type',
      'preservation',
      '--file',
      first,
      '--json',
    ])
    expect(draft).toMatchObject({ status: 'draft', revision: 1, caseId: null })
    // a contact point cannot write drafts, nor an investigator review them
    const contactDrafts = await as('rita', ['intake', 'draft', '--to', 'FR', '--file', first])
    expect(contactDrafts.code).toBe(1)
    expect(contactDrafts.stderr).toMatch(/role contact may not POST \/intake\/drafts \(403\)/)
    await json('ivan', ['intake', 'submit', draft.id, '--json'])
    const selfApproval = await as('ivan', ['intake', 'approve', draft.id])
    expect(selfApproval.code).toBe(1)
    expect(selfApproval.stderr).toMatch(
      /role investigator may not POST \/intake\/drafts\/:id\/approve \(403\)/,
    )

    const review = await json<{ drafts: Array<{ id: string; owner: string }> }>('rita', [
      'intake',
      'review',
      '--json',
    ])
    expect(review.drafts).toEqual([expect.objectContaining({ id: draft.id, owner: 'ivan' })])
    const returned = await as('rita', ['intake', 'return', draft.id, '--comments', 'Say which town hall.'])
    expect(returned.code, returned.stderr).toBe(0)
    expect(returned.stdout).toMatch(/returned to ivan \(now returned\)/)

    const shown = await as('ivan', ['intake', 'show', draft.id])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/returned\s+by rita: Say which town hall\./)
    await json('ivan', ['intake', 'revise', draft.id, '--file', second, '--json'])
    await json('ivan', ['intake', 'submit', draft.id, '--json'])
    const approved = await json<{ caseId: string; draft: Draft }>('rita', [
      'intake',
      'approve',
      draft.id,
      '--json',
    ])
    const caseId = approved.caseId
    expect(approved.draft).toMatchObject({ status: 'approved', revision: 2, caseId })
    expect(approved.draft.steps.map((s) => `${s.action}:${s.by}`)).toEqual([
      'drafted:ivan',
      'submitted:ivan',
      'returned:rita',
      'revised:ivan',
      'submitted:ivan',
      'approved:rita',
    ])

    // FR receives the revised request as any other and answers it
    await waitFor(
      async () => {
        const r = await runCli(fr, ['case', 'show', caseId, '--json'])
        return r.code === 0
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `FR to receive case ${caseId}` },
    )
    const frCase = JSON.parse((await runCli(fr, ['case', 'show', caseId, '--json', '--request'])).stdout) as {
      case: { request: { facts: string } }
    }
    expect(frCase.case.request.facts).toBe('Payments were diverted on 2 December from the town hall.')
    for (const args of [
      ['case', 'ack', caseId, '--by', 'Insp. Marie Dupont'],
      ['case', 'preserve', caseId, '--provider-ref', 'EXM-88', '--days', '90'],
    ]) {
      const r = await runCli(fr, args)
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0)
    }

    // the investigator follows the answer through the case their draft became
    type Detail = { case: { status: string }; events: Array<{ kind: string; side: string }> }
    await waitFor(
      async () =>
        (await json<Detail>('ivan', ['intake', 'case', caseId, '--json'])).case.status === 'preserved',
      { timeoutMs: 60_000, intervalMs: 500, description: `IT to see case ${caseId} preserved` },
    )
    const followed = await json<Detail>('ivan', ['intake', 'case', caseId, '--json'])
    expect(followed.events.filter((e) => e.side === 'requested').map((e) => e.kind)).toEqual(
      expect.arrayContaining(['acknowledged', 'preserved']),
    )
    const listed = await json<{ drafts: Array<{ id: string; caseStatus: string }> }>('ivan', [
      'intake',
      'list',
      '--json',
    ])
    expect(listed.drafts).toEqual([expect.objectContaining({ id: draft.id, caseStatus: 'preserved' })])

    // another investigator sees neither the draft nor its case; no investigator reads other cases
    const other = await runCli(it, ['request', 'send', '--to', 'FR', '--file', first, '--json'])
    expect(other.code, other.stderr).toBe(0)
    const otherCase = (JSON.parse(other.stdout) as { caseId: string }).caseId
    const denied: Array<[string, string[], RegExp]> = [
      [
        'irma',
        ['intake', 'show', draft.id],
        new RegExp(`no draft ${draft.id} of yours on this node \\(404\\)`),
      ],
      [
        'irma',
        ['intake', 'case', caseId],
        new RegExp(`no case ${caseId} among the cases your drafts became \\(404\\)`),
      ],
      [
        'ivan',
        ['intake', 'case', otherCase],
        new RegExp(`no case ${otherCase} among the cases your drafts became \\(404\\)`),
      ],
      ['irma', ['case', 'show', caseId], /role investigator may not GET \/cases\/:id \(403\)/],
      ['ivan', ['case', 'show', otherCase], /role investigator may not GET \/cases\/:id \(403\)/],
      ['ivan', ['inbox'], /role investigator may not GET \/cases \(403\)/],
    ]
    for (const [name, args, message] of denied) {
      const r = await as(name, args)
      expect(r.code, `${name}: pocnet ${args.join(' ')}`).toBe(1)
      expect(r.stderr).toMatch(message)
    }
    expect((await json<{ drafts: unknown[] }>('irma', ['intake', 'list', '--json'])).drafts).toEqual([])

    // every change is in IT's ledger, by its user, without the form or the comments
    const { entries } = await it.client.call(ledgerRoutes.entries, { query: { kind: 'intake-changed' } })
    expect(entries.map((e) => `${e.detail?.event}:${e.actor}`)).toEqual([
      'drafted:user:ivan',
      'submitted:user:ivan',
      'returned:user:rita',
      'revised:user:ivan',
      'submitted:user:ivan',
      'approved:user:rita',
    ])
    expect(entries.at(-1)?.caseId).toBe(caseId)
    expect(JSON.stringify(entries)).not.toMatch(/town hall|diverted/)
  }, 240_000)
})
