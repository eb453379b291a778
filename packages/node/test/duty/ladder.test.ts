import { describe, expect, it } from 'vitest'
import { defaultConfig, validateConfig } from '../../src/config.ts'
import { DEFAULT_LADDER, escalationProblems, ladderFor, rungDueAt } from '../../src/duty/ladder.ts'

describe('escalation ladder', () => {
  it('falls due at its share of the acknowledgement deadline', () => {
    const opened = Date.parse('2026-07-13T10:00:00Z')
    expect(DEFAULT_LADDER.map((r) => new Date(rungDueAt(r, opened, 60)).toISOString())).toEqual([
      '2026-07-13T10:00:00.000Z',
      '2026-07-13T10:30:00.000Z',
      '2026-07-13T11:00:00.000Z',
    ])
  })

  it('uses the configured ladder of an urgency, the default for the others', () => {
    const urgent = [
      { page: 'officer' as const, atShare: 0 },
      { page: 'supervisor' as const, atShare: 0.25 },
    ]
    expect(ladderFor({ urgent }, 'urgent')).toBe(urgent)
    expect(ladderFor({ urgent }, 'routine')).toBe(DEFAULT_LADDER)
    expect(ladderFor(undefined, 'emergency')).toBe(DEFAULT_LADDER)
  })

  it('names each field that breaks a rule', () => {
    expect(escalationProblems({ urgent: [{ page: 'officer', atShare: 0 }] })).toEqual([])
    expect(
      escalationProblems({
        soon: [],
        urgent: [
          { page: 'boss', atShare: 0.5 },
          { page: 'backup', atShare: 1.5 },
          { page: 'backup', atShare: 0.2, extra: 1 },
        ],
        routine: [
          { page: 'backup', atShare: 0.6 },
          { page: 'supervisor', atShare: 0.4 },
        ],
        emergency: [],
      }).map((p) => p.path),
    ).toEqual([
      'escalation.soon',
      'escalation.urgent[0].page',
      'escalation.urgent[1].atShare',
      'escalation.urgent[2]',
      'escalation.routine[1].atShare',
      'escalation.emergency',
    ])
  })

  it('is checked with the rest of the config file', () => {
    const config = {
      ...defaultConfig('pocnet-test', 'FR'),
      escalation: { urgent: [{ page: 'x', atShare: 0 }] },
    }
    const result = validateConfig(config)
    expect('problems' in result && result.problems).toEqual([
      { path: 'escalation.urgent[0].page', message: 'must be one of officer, backup, supervisor' },
    ])
  })
})
