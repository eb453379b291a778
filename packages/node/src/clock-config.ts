import {
  type AnswerDeadlineMinutes,
  CLOCK_PRESETS,
  type ClockConfig,
  type ClockPresetName,
  validateAnswerDeadlines,
} from '@pocnet/cases'
import type { ConfigProblem } from './errors.ts'

/** The config file's keys that set the case clocks: a preset, and optionally the node's own answer deadlines. */
export interface ClockSettings {
  clockPreset: ClockPresetName
  answerDeadlineMinutes?: AnswerDeadlineMinutes
}

/**
 * The case clocks in force: the preset's, with the node's own answer-deadline table in place of the
 * preset's when `config.json` gives one. The basis then says so, since it is shown next to every
 * alert and the numbers are no longer only the preset's.
 */
export function clocksOf(config: ClockSettings): ClockConfig {
  const preset = CLOCK_PRESETS[config.clockPreset]
  if (config.answerDeadlineMinutes === undefined) return preset
  return {
    ...preset,
    basis: `${preset.basis}; answer deadlines: this node's own table (config.json answerDeadlineMinutes)`,
    answerDeadlineMinutes: config.answerDeadlineMinutes,
  }
}

/** Every problem with a config file's `answerDeadlineMinutes`, each naming its path and the rule broken. */
export function answerDeadlinesProblems(value: unknown): ConfigProblem[] {
  const checked = validateAnswerDeadlines(value)
  return checked.ok ? [] : checked.problems.map((p) => ({ path: p.path, message: p.message }))
}
