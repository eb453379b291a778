import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, defaultConfig, readConfig, validateConfig, writeConfig } from '../src/index.ts'

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
