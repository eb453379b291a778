import { describe, expect, it } from 'vitest'
import { defaultConfig, validateConfig } from '../src/index.ts'
import { isLoopback, parseMetricsListen } from '../src/metrics/index.ts'

/** The problems validateConfig finds in the default config with `metrics`, as `path: message`. */
function problems(metrics: unknown): string[] {
  const result = validateConfig({ ...defaultConfig('pocnet-test', 'FR'), metrics })
  return 'problems' in result ? result.problems.map((p) => `${p.path}: ${p.message}`) : []
}

describe('metrics config', () => {
  it('is off when absent, and takes a loopback host:port', () => {
    expect('config' in validateConfig(defaultConfig('pocnet-test', 'FR'))).toBe(true)
    for (const listen of ['127.0.0.1:9464', '127.1.2.3:1', 'localhost:9464', '[::1]:65535'])
      expect(problems({ listen }), listen).toEqual([])
    expect(parseMetricsListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
    expect(parseMetricsListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
  })

  it('refuses an address that is not host:port, naming the field and the rule', () => {
    for (const listen of [
      '127.0.0.1',
      ':9464',
      '127.0.0.1:0',
      '127.0.0.1:70000',
      'metrics.example:9464',
      '::1:9464',
      9464,
    ])
      expect(problems({ listen }), String(listen)).toEqual([
        'metrics.listen: must be "host:port" with an IP address or "localhost" and a port 1–65535, e.g. "127.0.0.1:9464"',
      ])
    expect(problems('127.0.0.1:9464')).toEqual([
      'metrics: must be an object with "listen" and optionally "allowNonLoopback"',
    ])
    expect(problems({ listen: '127.0.0.1:9464', port: 1 })).toHaveLength(1)
    expect(problems({ listen: '127.0.0.1:9464', allowNonLoopback: 'yes' })).toEqual([
      'metrics.allowNonLoopback: must be true or false when present',
    ])
  })

  it('refuses a host off the loopback unless allowNonLoopback is true', () => {
    expect(problems({ listen: '0.0.0.0:9464' })).toEqual([
      'metrics.listen: 0.0.0.0 is not a loopback address: the figures show who this node talks to, so serve them on 127.0.0.1 or ::1 behind your scraper, or set "metrics.allowNonLoopback": true to expose them',
    ])
    expect(problems({ listen: '[::]:9464' })).toHaveLength(1)
    expect(problems({ listen: '0.0.0.0:9464', allowNonLoopback: true })).toEqual([])
    expect(problems({ listen: '192.0.2.7:9464', allowNonLoopback: true })).toEqual([])
  })

  it('knows the loopback: 127.0.0.0/8, ::1, their IPv4-mapped form and localhost', () => {
    expect(['127.0.0.1', '127.255.0.1', '::1', '::ffff:127.0.0.1', 'localhost'].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ])
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', 'example.org'].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ])
  })
})
