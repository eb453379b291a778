import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { COMMAND_MODULES } from '../src/commands/table.ts'
import { buildProgram } from '../src/index.ts'

/** The names of the top-level commands a program declares, in order, without commander's `help`. */
function topLevelNames(program: Command): string[] {
  return program.commands.map((c) => c.name()).filter((n) => n !== 'help')
}

describe('the table of command modules', () => {
  it('lists for each module exactly the top-level commands it declares', async () => {
    for (const m of COMMAND_MODULES) {
      const program = new Command('pocnet')
      ;(await m.load())(program)
      expect(topLevelNames(program), m.names.join(', ')).toEqual(m.names)
    }
  })

  it('names each top-level command once, in the order the whole program lists them', async () => {
    const names = COMMAND_MODULES.flatMap((m) => m.names)
    expect(new Set(names).size).toBe(names.length)
    expect(topLevelNames(await buildProgram())).toEqual(names)
  })
})
