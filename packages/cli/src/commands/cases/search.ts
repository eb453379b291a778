import { type KeyKind, SEARCH_KINDS } from '@pocnet/cases'
import { type CaseMatch, caseRoutes } from '@pocnet/node/control-client'
import { type Command, Option } from 'commander'
import { Context } from '../../context.ts'
import { fitTable } from '../../fit-table.ts'
import { examples, jsonOption } from '../../help.ts'
import { out } from '../../output.ts'

/** The search results: one row a case, what of it matched, within a 100-column page. */
export function searchTable(cases: readonly CaseMatch[]): string {
  return fitTable(
    [
      ['CASE', 'REFERENCE', 'TYPE', 'FROM→TO', 'STATUS', 'MATCHED'],
      ...cases.map((c) => [
        c.id,
        c.reference,
        c.type,
        `${c.requester}→${c.requested}`,
        c.status,
        c.matched.map((m) => `${m.kind} ${m.path}`).join(', '),
      ]),
    ],
    {
      shrink: [
        { column: 5, min: 16 },
        { column: 1, min: 10 },
        { column: 2, min: 10 },
        { column: 4, min: 10 },
      ],
    },
  )
}

/** `pocnet search`: the cases of this node by the requester's reference or an identifier. */
export function registerSearch(program: Command): void {
  examples(
    program
      .command('search <text>')
      .description(
        "find cases by the requester's reference or an identifier (IP, e-mail, account, URL, domain, phone), however written",
      )
      .addOption(new Option('--type <kind>', 'look for the text as this only').choices([...SEARCH_KINDS]))
      .option('--open', 'only cases not finished')
      .addOption(jsonOption())
      .action(
        async (text: string, flags: { type?: KeyKind; open?: boolean; json?: boolean }, command: Command) => {
          const ctx = Context.of(command)
          const found = await ctx.call(caseRoutes.search, {
            query: { q: text, ...(flags.type === undefined ? {} : { type: flags.type }) },
          })
          const cases = flags.open ? found.cases.filter((c) => !c.finished) : found.cases
          if (flags.json) return out.json({ ...found, cases })
          out.line(cases.length === 0 ? `no case holds ${text}` : searchTable(cases))
        },
      ),
    'pocnet search HU-NNI-2026-0412',
    'pocnet search 2001:db8::7 --open',
    'pocnet search payme@mail.example.fr --type email --json',
  )
}
