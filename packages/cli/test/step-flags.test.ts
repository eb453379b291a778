import { type CaseEventKind, PAYLOAD_FIELDS } from '@pocnet/cases'
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { FLAG_OF_FIELD, flagPath, withFlagNames } from '../src/commands/cases/step-flags.ts'
import { COMMAND_OF_EVENT } from '../src/commands/cases/steps.ts'
import { CliError } from '../src/errors.ts'
import { buildProgram } from '../src/index.ts'

async function caseCommand(): Promise<Command> {
  const program = await buildProgram()
  return program.commands.find((c) => c.name() === 'case')!
}

/** Every event a `case` step sends, with the step's command (`extend --grant` → `extend`). */
const STEPS = Object.entries(COMMAND_OF_EVENT).map(
  ([kind, command]) => [kind as CaseEventKind, command.split(' ')[0]!] as const,
)

describe('the flag of every field of every step', () => {
  it.each(STEPS)(
    '%s (case %s): each field has its flag, and each flag is an option of the step',
    async (kind, name) => {
      const command = (await caseCommand()).commands.find((c) => c.name() === name)!
      const flags = FLAG_OF_FIELD[kind] ?? {}
      expect(Object.keys(flags).sort()).toEqual([...PAYLOAD_FIELDS[kind]].sort())
      const options = command.options.filter((o) => !o.hidden).map((o) => o.long)
      for (const flag of Object.values(flags)) expect(options).toContain(flag)
    },
  )

  it('names a field by its flag, an item of a repeated flag by its number, and leaves the rest', () => {
    expect(flagPath('partially-disclosed', 'thirdCountry')).toBe('--third-country')
    expect(flagPath('partially-disclosed', 'identifiers[1].timestamp')).toBe('--identifier #2 timestamp')
    expect(flagPath('partially-disclosed', 'identifiers')).toBe('--identifier')
    expect(flagPath('answered', 'attachments[0].sha256')).toBe('--attach #1 sha256')
    expect(flagPath('refused', 'explanation')).toBe('--reason')
    // set by the node, not typed: its own name
    expect(flagPath('refused', 'at')).toBe('at')
    expect(flagPath('refused', '')).toBe('')
  })

  it("rewrites a refused step's problems with the flags, keeping the rest of the error", () => {
    const refused = new CliError('ERR_INVALID_EVENT', 'invalid case event: 1 problem (400)', {
      lines: ["  thirdCountry: 'XX' is not a country [format]"],
      details: { problems: [{ path: 'thirdCountry', rule: 'format', message: "'XX' is not a country" }] },
      hint: 'fix each field listed and send again',
    })
    const named = withFlagNames(refused, 'partially-disclosed')
    expect(named.lines).toEqual(["  --third-country: 'XX' is not a country [format]"])
    expect([named.code, named.message, named.hint, named.details]).toEqual([
      refused.code,
      refused.message,
      refused.hint,
      refused.details,
    ])
  })
})
