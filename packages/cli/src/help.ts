import { type Command, InvalidArgumentError, Option } from 'commander'

/** Adds the "Examples:" section every command's help ends with. */
export function examples(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`)
}

/** The `--json` option of read commands: machine-readable output on stdout. */
export function jsonOption(): Option {
  return new Option('--json', 'print JSON (machine-readable) instead of text')
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** A positive whole number option/argument parser; commander reports its throw as a usage error. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive whole number, not "${value}"`)
    return n
  }
}

export function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, not "${value}"`)
    return n
  }
}
