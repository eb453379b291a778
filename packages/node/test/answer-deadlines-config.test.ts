import { answerDeadlineMinutes, CLOCK_PRESETS } from '@pocnet/cases'
import { describe, expect, it } from 'vitest'
import { clocksOf } from '../src/clock-config.ts'
import { defaultConfig, validateConfig } from '../src/index.ts'

const config = defaultConfig('pocnet-test', 'FR')
const table = {
  default: { emergency: 480, urgent: 1440, routine: 14_400 },
  preservation: { emergency: 120, urgent: 720, routine: 2880 },
}

/** The problems validateConfig finds with `answerDeadlineMinutes` set to `value`, as "path: message". */
function problems(value: unknown): string[] {
  const result = validateConfig({ ...config, answerDeadlineMinutes: value })
  return 'problems' in result ? result.problems.map((p) => `${p.path}: ${p.message}`) : []
}

describe("config.json's answerDeadlineMinutes: the node's own answer deadlines", () => {
  it('accepts a default row and rows per request type, and puts them in the clocks in force', () => {
    expect(validateConfig({ ...config, answerDeadlineMinutes: table })).toEqual({
      config: { ...config, answerDeadlineMinutes: table },
    })
    const clocks = clocksOf({ ...config, answerDeadlineMinutes: table })
    expect(answerDeadlineMinutes(clocks.answerDeadlineMinutes, 'preservation', 'urgent')).toBe(720)
    expect(answerDeadlineMinutes(clocks.answerDeadlineMinutes, 'emergency-disclosure', 'routine')).toBe(
      14_400,
    )
    // only the answer deadlines are the node's own: the rest stays the preset's, and the basis says so
    const preset = CLOCK_PRESETS['pocnet-default']
    expect(clocks.acknowledgementDeadlineMinutes).toEqual(preset.acknowledgementDeadlineMinutes)
    expect(clocks.basis).toBe(
      `${preset.basis}; answer deadlines: this node's own table (config.json answerDeadlineMinutes)`,
    )
  })

  it("absent, the clocks are the preset's, unchanged", () => {
    expect(clocksOf(config)).toBe(CLOCK_PRESETS['pocnet-default'])
    expect(clocksOf({ clockPreset: 'eu-e-evidence-style' })).toBe(CLOCK_PRESETS['eu-e-evidence-style'])
  })

  it.each([
    ['not a table', 60, ['answerDeadlineMinutes: must be a group of fields, not number 60']],
    ['null', null, ['answerDeadlineMinutes: is required when the key is present']],
    [
      'no default row',
      { preservation: table.preservation },
      [
        'answerDeadlineMinutes.default: is required: the minutes per urgency for every request type without its own row',
      ],
    ],
    [
      'an urgency left out',
      { default: { emergency: 480, urgent: 1440 } },
      ['answerDeadlineMinutes.default.routine: is required'],
    ],
    [
      'a value out of range',
      { default: { ...table.default, urgent: 0 } },
      ['answerDeadlineMinutes.default.urgent: is 0; it must be between 1 and 525600'],
    ],
    [
      'a fraction of a minute',
      { default: { ...table.default, emergency: 1.5 } },
      ['answerDeadlineMinutes.default.emergency: must be a whole number, not number 1.5'],
    ],
    [
      'a misspelt request type',
      { ...table, preservaton: table.preservation },
      ["answerDeadlineMinutes.preservaton: unknown field; did you mean 'preservation'?"],
    ],
    [
      'an unknown urgency',
      { default: { ...table.default, immediate: 5 } },
      [
        'answerDeadlineMinutes.default.immediate: unknown field; fields allowed here: routine, urgent, emergency',
      ],
    ],
  ])('refuses %s, naming the field and the rule', (_, value, expected) => {
    expect(problems(value)).toEqual(expected)
  })
})
