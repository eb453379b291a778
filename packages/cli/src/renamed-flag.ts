import { type Command, Option } from 'commander'
import { err } from './output.ts'

/**
 * Keeps `was`, the old name of `command`'s option `now`, working as a hidden alias: it sets the
 * same value, and one line on stderr names the new flag, so a script typed with the old name
 * keeps running and whoever reads its output learns the new one.
 */
export function renamedFlag(command: Command, was: string, now: string): void {
  const target = command.options.find((o) => o.long === now)
  if (target === undefined) throw new Error(`${command.name()} has no option ${now} to keep ${was} for`)
  const placeholder = target.flags.slice(target.flags.indexOf(now) + now.length)
  const alias = new Option(`${was}${placeholder}`).hideHelp()
  command.addOption(alias)
  command.on(`option:${alias.name()}`, (value: string | undefined) => {
    err.line(`warning: ${was} is deprecated, use ${now} (the old name will be removed)`)
    const name = target.attributeName()
    const parsed =
      target.parseArg === undefined || value === undefined
        ? value
        : target.parseArg(value, command.getOptionValue(name))
    command.setOptionValueWithSource(name, parsed ?? true, 'cli')
  })
}
