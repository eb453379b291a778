import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { POCNET_FIGURE_NAMES } from '@pocnet/node'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// The alert rules, the dashboard and the scrape config in docker/monitoring name the node's
// figures by hand: each pocnet_ name they use must be one the node serves (test/metrics.test.ts
// checks it serves every name of POCNET_FIGURE_NAMES), so a renamed figure fails here.
const MONITORING = join(import.meta.dirname, '..', 'docker', 'monitoring')
/** What a histogram family's samples add to its name. */
const SAMPLE_SUFFIX = /_(?:bucket|sum|count)$/

/** The pocnet_ names a PromQL expression uses. */
function pocnetNames(expr: string): string[] {
  return [...expr.matchAll(/\bpocnet_[a-z0-9_]+/g)].map((m) => m[0])
}

/** Whether `name` is a figure the node serves, or a sample of a histogram it serves. */
function served(name: string): boolean {
  return POCNET_FIGURE_NAMES.includes(name) || POCNET_FIGURE_NAMES.includes(name.replace(SAMPLE_SUFFIX, ''))
}

interface Rule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

describe('docker/monitoring', () => {
  it('alert rules: each names only figures the node serves, with a summary', async () => {
    const rules = parse(await readFile(join(MONITORING, 'alerts.yml'), 'utf8')) as {
      groups: Array<{ name: string; rules: Rule[] }>
    }
    const all = rules.groups.flatMap((g) => g.rules)
    for (const rule of all) {
      expect(rule.annotations?.summary, rule.alert).toBeTruthy()
      expect(typeof rule.expr, rule.alert).toBe('string')
      for (const name of pocnetNames(rule.expr)) expect(served(name), `${rule.alert}: ${name}`).toBe(true)
    }
    // the alerts issue 18 asks for
    expect(all.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'PocnetNodeDown',
        'PocnetOutboxStuck',
        'PocnetDeliveriesFailing',
        'PocnetDeadlineMissed',
        'PocnetWitnessPolicyUnmet',
      ]),
    )
    expect(all.find((r) => r.alert === 'PocnetNodeDown')!.expr).toMatch(/\bup\{job="pocnet"\}/)
  })

  it('dashboard: every panel query names only figures the node serves', async () => {
    const dashboard = JSON.parse(await readFile(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>
    }
    const used = new Set<string>()
    for (const panel of dashboard.panels)
      for (const target of panel.targets)
        for (const name of pocnetNames(target.expr)) {
          expect(served(name), `${panel.title}: ${name}`).toBe(true)
          used.add(name.replace(SAMPLE_SUFFIX, ''))
        }
    // and it shows each of them
    expect(POCNET_FIGURE_NAMES.filter((name) => !used.has(name))).toEqual([])
  })

  it('scrape config: scrapes /metrics as job "pocnet" and loads the alert rules', async () => {
    const config = parse(await readFile(join(MONITORING, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[]
      scrape_configs: Array<{ job_name: string; metrics_path?: string }>
    }
    expect(config.rule_files.map((f) => f.split('/').at(-1))).toContain('alerts.yml')
    expect(config.scrape_configs).toContainEqual(
      expect.objectContaining({ job_name: 'pocnet', metrics_path: '/metrics' }),
    )
  })
})
