import type { Command } from 'commander'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RENAMED_STEP_FLAGS } from '../src/commands/cases/renamed-step-flags.ts'
import { buildProgram } from '../src/index.ts'

async function caseCommand(): Promise<Command> {
  const program = await buildProgram()
  return program.commands.find((c) => c.name() === 'case')!
}

/** What each step needs besides the renamed flag, for the command line to parse. */
const OTHER_ARGS: Record<string, string[]> = {
  limit: ['--limit', 'availability-not-ensured'],
  preserve: ['--days', '90'],
  refuse: ['--ground', 'essential-interests'],
  followup: ['--out', 'form.yaml'],
  'mla-decided': ['--decision', 'granted'],
  'not-executed': ['--ground', 'data-already-deleted'],
}

const RENAMED = Object.entries(RENAMED_STEP_FLAGS).flatMap(([step, renamed]) =>
  Object.entries(renamed).map(([was, now]) => [step, was, now] as const),
)

describe('the old names of renamed flags', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it.each(RENAMED)('case %s %s still sets %s, hidden, with one line on stderr', async (step, was, now) => {
    const kase = await caseCommand()
    const command = kase.commands.find((c) => c.name() === step)!
    expect(command.options.find((o) => o.long === was)?.hidden).toBe(true)
    let seen: Record<string, unknown> | undefined
    command.action((_id: string, flags: Record<string, unknown>) => {
      seen = flags
    })
    const stderr: string[] = []
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk))
      return true
    })
    await kase.parent!.parseAsync(['case', step, 'X', was, 'the value', ...(OTHER_ARGS[step] ?? [])], {
      from: 'user',
    })
    const attribute = now.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
    expect(seen?.[attribute]).toBe('the value')
    expect(stderr).toEqual([`warning: ${was} is deprecated, use ${now} (the old name will be removed)\n`])
  })
})
