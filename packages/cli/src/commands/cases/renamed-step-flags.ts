import type { Command } from 'commander'
import { renamedFlag } from '../../renamed-flag.ts'

/**
 * The `case` steps' flags renamed so that one idea has one flag (docs/cases.md §5.1, "One flag
 * per idea"): old name → new name, by step. The old names still work, hidden, saying which replaces them.
 */
export const RENAMED_STEP_FLAGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  progress: { '--note': '--text' },
  ask: { '--questions': '--text' },
  inform: { '--answer': '--text' },
  limit: { '--details': '--text' },
  proceed: { '--note': '--text' },
  reply: { '--summary': '--text' },
  refuse: { '--explanation': '--reason' },
  followup: { '--country': '--third-country' },
  mla: { '--reference': '--mla-ref' },
  'mla-decided': { '--note': '--text' },
  'not-executed': { '--explanation': '--reason' },
  'accept-conditions': { '--note': '--text' },
}

/** Keeps the old names of the `case` steps' renamed flags working, as hidden aliases. */
export function keepRenamedStepFlags(kase: Command): void {
  for (const [step, renamed] of Object.entries(RENAMED_STEP_FLAGS)) {
    const command = kase.commands.find((c) => c.name() === step)
    if (command === undefined) throw new Error(`pocnet case has no step ${step} to rename flags of`)
    for (const [was, now] of Object.entries(renamed)) renamedFlag(command, was, now)
  }
}
