import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeIdentity } from '@pocnet/crypto'
import { describe, expect, it } from 'vitest'
import { sealsHybrid } from '../src/config.ts'
import {
  ConfigError,
  DEFAULT_FRAME_BUDGET,
  defaultConfig,
  frameBudgetOf,
  minCosigners,
  readConfig,
  validateConfig,
  writeConfig,
} from '../src/index.ts'

describe('node config', () => {
  it('accepts the defaults and round-trips through the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-config-'))
    try {
      const config = defaultConfig('pocnet-test', 'FR')
      expect('config' in validateConfig(config)).toBe(true)
      await writeConfig(dir, config)
      expect(await readConfig(dir)).toEqual(config)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes the witnessing policy from witness.minCosigners, by default a majority of the other members', () => {
    const config = defaultConfig('pocnet-test', 'FR')
    expect([0, 1, 2, 3, 4, 10].map((others) => minCosigners(config, others))).toEqual([0, 1, 2, 2, 3, 6])
    expect(minCosigners({ witness: { minCosigners: 1 } }, 4)).toBe(1)
    expect(minCosigners({ witness: { minCosigners: 9 } }, 4)).toBe(4)
    expect('config' in validateConfig({ ...config, witness: { minCosigners: 2 } })).toBe(true)
    for (const witness of [{ minCosigners: -1 }, { minCosigners: 1.5 }, { k: 2 }, 3]) {
      const result = validateConfig({ ...config, witness })
      expect('problems' in result ? result.problems.map((p) => p.path) : []).toEqual([
        typeof witness === 'object' && 'minCosigners' in witness ? 'witness.minCosigners' : 'witness',
      ])
    }
  })

  it('takes the frame budget from frameBudget, by default DEFAULT_FRAME_BUDGET', () => {
    const config = defaultConfig('pocnet-test', 'FR')
    expect(frameBudgetOf(config)).toEqual(DEFAULT_FRAME_BUDGET)
    const frameBudget = { totalBytes: 8 * 1024 * 1024, perMemberBytes: 2 * 1024 * 1024 }
    expect(validateConfig({ ...config, frameBudget })).toEqual({ config: { ...config, frameBudget } })
    expect(frameBudgetOf({ frameBudget })).toEqual(frameBudget)
    const problems = (budget: unknown) => {
      const result = validateConfig({ ...config, frameBudget: budget })
      return 'problems' in result ? result.problems : []
    }
    expect(problems({ totalBytes: 0, perMemberBytes: 1.5 }).map((p) => p.path)).toEqual([
      'frameBudget.totalBytes',
      'frameBudget.perMemberBytes',
    ])
    expect(problems({ totalBytes: 8, perMemberBytes: 8, extra: 1 }).map((p) => p.path)).toEqual([
      'frameBudget',
    ])
    expect(problems({ totalBytes: 2 * 1024 * 1024, perMemberBytes: 3 * 1024 * 1024 })).toEqual([
      { path: 'frameBudget.perMemberBytes', message: 'must be at most frameBudget.totalBytes (2097152)' },
    ])
    // a member's share smaller than the largest envelope (1 MiB by default) could never carry one
    expect(problems({ totalBytes: 2 * 1024 * 1024, perMemberBytes: 1024 * 1024 })).toEqual([
      {
        path: 'frameBudget.perMemberBytes',
        message: expect.stringMatching(/at least delivery.maxEnvelopeBytes \+ 8 \(1048584\)/),
      },
    ])
  })

  it('takes the cap on connections per member from connections.maxPerMember, whole and 1 or more', () => {
    const config = defaultConfig('pocnet-test', 'FR')
    expect('config' in validateConfig({ ...config, connections: { maxPerMember: 2 } })).toBe(true)
    for (const connections of [
      { maxPerMember: 0 },
      { maxPerMember: 2.5 },
      { maxPerMember: '4' },
      { max: 4 },
      4,
    ]) {
      const result = validateConfig({ ...config, connections })
      expect('problems' in result ? result.problems : []).toEqual([
        typeof connections === 'object' && 'maxPerMember' in connections
          ? { path: 'connections.maxPerMember', message: 'must be a whole number, 1 or more' }
          : { path: 'connections', message: 'must be an object with only "maxPerMember"' },
      ])
    }
  })

  it('seals hybrid unless hybridSealing is false, and only with a key that has an X-Wing key', () => {
    const config = defaultConfig('pocnet-test', 'FR')
    const identity = NodeIdentity.generate()
    const { kemSeed: _, ...classical } = identity.secrets
    expect(sealsHybrid(config, identity)).toBe(true)
    expect(sealsHybrid({ hybridSealing: true }, identity)).toBe(true)
    expect(sealsHybrid({ hybridSealing: false }, identity)).toBe(false)
    expect(sealsHybrid(config, new NodeIdentity(classical))).toBe(false)
    expect('config' in validateConfig({ ...config, hybridSealing: false })).toBe(true)
    const result = validateConfig({ ...config, hybridSealing: 'no' })
    expect('problems' in result ? result.problems : []).toEqual([
      { path: 'hybridSealing', message: 'must be true or false when present' },
    ])
  })

  it('lists every problem at once, each naming its field', () => {
    const bad = {
      ...defaultConfig('pocnet-test', 'FR'),
      country: 'France',
      listen: 'tcp',
      outbox: { initialBackoffMs: -1 },
    }
    const result = validateConfig(bad)
    expect('problems' in result).toBe(true)
    const paths = 'problems' in result ? result.problems.map((p) => p.path) : []
    expect(paths).toEqual(
      expect.arrayContaining([
        'country',
        'listen',
        'outbox.initialBackoffMs',
        'outbox.maxBackoffMs',
        'outbox.expiryMs',
      ]),
    )
  })

  it('names each listen or bootstrap address libp2p cannot parse', () => {
    const bad = {
      ...defaultConfig('pocnet-test', 'FR'),
      listen: ['/ip4/0.0.0.0/tcp/4001', 'ip4/0.0.0.0/tcp/4002'],
      bootstrap: ['/ip4/192.0.2.1/tcp/4001', '/tcp/x', '/garbage'],
    }
    const result = validateConfig(bad)
    const problems = 'problems' in result ? result.problems : []
    expect(problems.map((p) => p.path)).toEqual(['listen[1]', 'bootstrap[1]', 'bootstrap[2]'])
    expect(problems[0]!.message).toMatch(/starting with "\/"/)
    expect(problems[1]!.message).toMatch(/is not a multiaddr/)
  })

  it('says when the file is missing or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-config-'))
    try {
      await expect(readConfig(dir)).rejects.toThrow(/run `pocnet init` first/)
      await writeFile(join(dir, 'config.json'), '{ not json')
      await expect(readConfig(dir)).rejects.toBeInstanceOf(ConfigError)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
