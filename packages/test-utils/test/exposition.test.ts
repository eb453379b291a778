import { describe, expect, it } from 'vitest'
import { ExpositionError, parseExposition } from '../src/exposition.ts'

const PROMETHEUS = `# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{kind="a"} 3
jobs_total{kind="b\\"q\\\\"} 0

# HELP depth Queue depth.
# TYPE depth gauge
depth 1.5e3
# HELP wait_seconds Waits.
# TYPE wait_seconds histogram
wait_seconds_bucket{le="0.5"} 1
wait_seconds_bucket{le="1"} 2
wait_seconds_bucket{le="+Inf"} 2
wait_seconds_sum 1.25
wait_seconds_count 2
`

const OPENMETRICS = `# HELP jobs Jobs done.
# TYPE jobs counter
jobs_total{kind="a"} 3
# HELP depth Queue depth.
# TYPE depth gauge
depth Nan
# EOF
`

/** The error `text` raises, as `line N: message`. */
function problem(text: string, format: 'prometheus' | 'openmetrics' = 'prometheus'): string {
  try {
    parseExposition(text, format)
  } catch (err) {
    expect(err).toBeInstanceOf(ExpositionError)
    return (err as Error).message
  }
  throw new Error('parsed, though it should not')
}

describe('parseExposition', () => {
  it('reads the text format: families, types, labels with escapes, histograms', () => {
    const families = parseExposition(PROMETHEUS, 'prometheus')
    expect([...families.keys()]).toEqual(['jobs_total', 'depth', 'wait_seconds'])
    expect(families.get('jobs_total')!.samples[1]!.labels).toEqual({ kind: 'b"q\\' })
    expect(families.get('depth')).toMatchObject({
      type: 'gauge',
      help: 'Queue depth.',
      samples: [{ value: 1500 }],
    })
    expect(families.get('wait_seconds')!.samples).toHaveLength(5)
  })

  it('reads OpenMetrics: counters as _total samples, ended by # EOF', () => {
    const families = parseExposition(OPENMETRICS, 'openmetrics')
    expect(families.get('jobs')!.samples[0]).toEqual({ name: 'jobs_total', labels: { kind: 'a' }, value: 3 })
    expect(families.get('depth')!.samples[0]!.value).toBeNaN()
  })

  it('refuses malformed text, naming the line and the rule', () => {
    expect(problem('depth 1')).toBe('line 1: the text must end with a newline')
    expect(problem('depth one\n')).toBe('line 1: "one" is not a number')
    expect(problem('9depth 1\n')).toBe('line 1: "9depth" is not a metric name')
    expect(problem('depth{a="x} 1\n')).toBe('line 1: label a: its value is not closed')
    expect(problem('depth{a=x} 1\n')).toBe('line 1: label a: its value must be quoted')
    expect(problem('depth{a="1",a="2"} 1\n')).toBe('line 1: label a given twice')
    expect(problem('depth{a="\\t"} 1\n')).toBe('line 1: label a: unknown escape \\t')
    expect(problem('depth  1\n')).toBe(
      'line 1: depth: expected a value and at most a timestamp, single-spaced',
    )
    expect(problem('depth 1\ndepth 2\n')).toBe('line 2: depth: the same series twice')
    expect(problem('# TYPE depth gauge\n# TYPE depth gauge\n')).toBe('line 2: depth: a second TYPE')
    expect(problem('# TYPE depth meter\n')).toBe('line 1: depth: no type meter')
    expect(problem('depth 1\n# TYPE depth gauge\n')).toBe('line 2: depth: TYPE after its samples')
    expect(problem('a 1\nb 1\na{x="1"} 2\n')).toBe(
      'line 3: a: its lines must be together, not split by another family',
    )
    expect(problem('# TYPE c counter\nc -1\n')).toBe('line 2: c: a counter must be 0 or more')
    expect(problem('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n')).toBe(
      'line 4: h: bucket le=Infinity is below the one before',
    )
    expect(problem('# TYPE h histogram\nh_bucket{le="1"} 2\nh_count 2\n')).toBe(
      'line 3: h: no le="+Inf" bucket',
    )
    expect(problem('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n')).toBe(
      'line 3: h: the +Inf bucket (2) is not the count (3)',
    )
  })

  it('holds OpenMetrics to its own rules', () => {
    expect(problem('# TYPE d gauge\nd 1\n', 'openmetrics')).toBe('line 2: OpenMetrics must end with "# EOF"')
    expect(problem('d 1\n# EOF\nd 2\n', 'openmetrics')).toBe('line 3: nothing may follow "# EOF"')
    expect(problem('d 1\n\n# EOF\n', 'openmetrics')).toBe('line 2: OpenMetrics has no empty lines')
    expect(problem('# a comment\n# EOF\n', 'openmetrics')).toBe('line 1: not a HELP, TYPE, UNIT or EOF line')
    // a Prometheus text scrape is not OpenMetrics
    expect(problem(PROMETHEUS, 'openmetrics')).toMatch(/^line \d+: /)
  })
})
